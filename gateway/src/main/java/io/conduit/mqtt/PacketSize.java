package io.conduit.mqtt;

import io.netty.handler.codec.mqtt.MqttProperties;

import java.nio.charset.StandardCharsets;

/** Encoded sizes, to honour a client's Maximum Packet Size before a packet is built and written. */
final class PacketSize {

    private PacketSize() {
    }

    static long publish(String topic, int qos, MqttProperties props, int payloadLength) {
        long properties = properties(props);
        long remaining = 2 + utf8(topic) + (qos > 0 ? 2 : 0) + varIntLength(properties) + properties + payloadLength;
        return 1 + varIntLength(remaining) + remaining;
    }

    static long properties(MqttProperties props) {
        long size = 0;
        for (MqttProperties.MqttProperty<?> p : props.listAll()) {
            size += 1 + valueSize(p);
        }
        return size;
    }

    private static long valueSize(MqttProperties.MqttProperty<?> p) {
        if (p instanceof MqttProperties.UserProperty u) {
            return 4 + utf8(u.value().key) + utf8(u.value().value);
        }
        if (p instanceof MqttProperties.UserProperties us) {
            long size = 0;
            for (MqttProperties.StringPair pair : us.value()) {
                size += 1 + 4 + utf8(pair.key) + utf8(pair.value);
            }
            return size - 1;
        }
        if (p instanceof MqttProperties.StringProperty s) {
            return 2 + utf8(s.value());
        }
        if (p instanceof MqttProperties.BinaryProperty b) {
            return 2 + b.value().length;
        }
        int id = p.propertyId();
        if (id == MqttProperties.MqttPropertyType.SUBSCRIPTION_IDENTIFIER.value()) {
            return varIntLength((Integer) p.value());
        }
        if (id == MqttProperties.MqttPropertyType.PUBLICATION_EXPIRY_INTERVAL.value()
                || id == MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL.value()
                || id == MqttProperties.MqttPropertyType.WILL_DELAY_INTERVAL.value()
                || id == MqttProperties.MqttPropertyType.MAXIMUM_PACKET_SIZE.value()) {
            return 4;
        }
        if (id == MqttProperties.MqttPropertyType.TOPIC_ALIAS.value()
                || id == MqttProperties.MqttPropertyType.RECEIVE_MAXIMUM.value()
                || id == MqttProperties.MqttPropertyType.TOPIC_ALIAS_MAXIMUM.value()
                || id == MqttProperties.MqttPropertyType.SERVER_KEEP_ALIVE.value()) {
            return 2;
        }
        return 1;
    }

    static int varIntLength(long value) {
        return value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;
    }

    private static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
