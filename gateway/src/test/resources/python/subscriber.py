#!/usr/bin/python3
# The subscriber example of the paho-mqtt documentation (1.6 API), pointed at a given broker.
#
# usage: subscriber.py HOST PORT TOPIC [311|5]
#
# Prints "Connected with result code ...", "Subscribed" once the broker acknowledged the subscription, then
# "topic b'payload'" for the first message, and disconnects.
import sys

import paho.mqtt.client as mqtt

host, port, topic = sys.argv[1], int(sys.argv[2]), sys.argv[3]
protocol = mqtt.MQTTv5 if len(sys.argv) > 4 and sys.argv[4] == "5" else mqtt.MQTTv311


# The callback for when the client receives a CONNACK response from the server.
# (MQTT 5.0 clients also get the CONNACK properties.)
def on_connect(client, userdata, flags, rc, properties=None):
    print("Connected with result code "+str(rc))

    # Subscribing in on_connect() means that if we lose the connection and
    # reconnect then subscriptions will be renewed.
    client.subscribe(topic, 1)


# Tells the test that the subscription is in place, so that it may publish.
def on_subscribe(client, userdata, mid, granted_qos, properties=None):
    print("Subscribed")


# The callback for when a PUBLISH message is received from the server.
def on_message(client, userdata, msg):
    print(msg.topic+" "+str(msg.payload))
    client.disconnect()


client = mqtt.Client(protocol=protocol)
client.on_connect = on_connect
client.on_subscribe = on_subscribe
client.on_message = on_message

client.connect(host, port, 60)

# Blocking call that processes network traffic, dispatches callbacks and
# handles reconnecting; it returns after client.disconnect().
client.loop_forever()
