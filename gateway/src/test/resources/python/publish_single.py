#!/usr/bin/python3
# One message with the paho-mqtt helper: connect, publish, disconnect.
#
# usage: publish_single.py HOST PORT TOPIC MESSAGE [QOS]
import sys

import paho.mqtt.publish as publish

host, port, topic, message = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
qos = int(sys.argv[5]) if len(sys.argv) > 5 else 0

publish.single(topic, message, qos=qos, hostname=host, port=port)
print("Published")
