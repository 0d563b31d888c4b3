#!/usr/bin/python3
# The publisher example of the paho-mqtt documentation (1.6 API), pointed at a given broker.
#
# usage: publisher.py HOST PORT TOPIC MESSAGE [311|5] [QOS]
import sys

import paho.mqtt.client as mqtt

host, port, topic, message = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
protocol = mqtt.MQTTv5 if len(sys.argv) > 5 and sys.argv[5] == "5" else mqtt.MQTTv311
qos = int(sys.argv[6]) if len(sys.argv) > 6 else 0

client = mqtt.Client(protocol=protocol)
client.connect(host, port)
client.loop_start()

info = client.publish(topic, message, qos)
# Returns once the message is sent (QoS 0), acknowledged (QoS 1) or the QoS 2 flow is complete.
info.wait_for_publish(10)

client.disconnect()
client.loop_stop()
if not info.is_published():
    sys.exit("not published within 10 s")
print("Published")
