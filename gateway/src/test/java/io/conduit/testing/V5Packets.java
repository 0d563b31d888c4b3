package io.conduit.testing;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttVersion;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Packets and property look-ups for MQTT 5.0 tests, next to {@link RawMqttClient}: CONNECTs whose CONNACK may be a
 * refusal, PUBLISHes with binary payloads, AUTH packets.
 */
public final class V5Packets {

    private V5Packets() {
    }

    public static MqttProperties props(MqttProperties.MqttProperty<?>... properties) {
        MqttProperties props = new MqttProperties();
        for (MqttProperties.MqttProperty<?> p : properties) {
            props.add(p);
        }
        return props;
    }

    public static MqttProperties.IntegerProperty intProp(MqttPropertyType type, int value) {
        return new MqttProperties.IntegerProperty(type.value(), value);
    }

    public static MqttProperties.StringProperty stringProp(MqttPropertyType type, String value) {
        return new MqttProperties.StringProperty(type.value(), value);
    }

    public static MqttProperties.BinaryProperty binaryProp(MqttPropertyType type, byte[] value) {
        return new MqttProperties.BinaryProperty(type.value(), value);
    }

    public static MqttConnectMessage connect(MqttVersion version, String clientId, boolean cleanStart, int keepAlive,
                                             MqttProperties props) {
        return MqttMessageBuilders.connect().protocolVersion(version).clientId(clientId).cleanSession(cleanStart)
                .keepAlive(keepAlive).properties(props == null ? MqttProperties.NO_PROPERTIES : props).build();
    }

    /** Opens a socket and sends the CONNECT; unlike {@link RawMqttClient#connect} the answer is left to the caller. */
    public static RawMqttClient send(int port, MqttConnectMessage connect) throws InterruptedException {
        RawMqttClient client = RawMqttClient.open(port);
        client.send(connect);
        return client;
    }

    public static int returnCode(MqttConnAckMessage ack) {
        return ack.variableHeader().connectReturnCode().byteValue() & 0xFF;
    }

    public static MqttPublishMessage publish(String topic, byte[] payload, int qos, int packetId,
                                             MqttProperties props) {
        return MqttMessageBuilders.publish().topicName(topic).qos(MqttQoS.valueOf(qos)).retained(false)
                .messageId(packetId).payload(Unpooled.wrappedBuffer(payload))
                .properties(props == null ? MqttProperties.NO_PROPERTIES : props).build();
    }

    public static MqttMessage auth(int reasonCode, String method, byte[] data) {
        MqttProperties props = props(stringProp(MqttPropertyType.AUTHENTICATION_METHOD, method));
        if (data != null) {
            props.add(binaryProp(MqttPropertyType.AUTHENTICATION_DATA, data));
        }
        return new MqttMessage(new MqttFixedHeader(MqttMessageType.AUTH, false, MqttQoS.AT_MOST_ONCE, false, 0),
                new MqttReasonCodeAndPropertiesVariableHeader((byte) reasonCode, props));
    }

    /** The properties of a CONNACK, PUBLISH, DISCONNECT or AUTH. */
    public static MqttProperties propertiesOf(MqttMessage m) {
        if (m instanceof MqttConnAckMessage ack) {
            return ack.variableHeader().properties();
        }
        if (m instanceof MqttPublishMessage p) {
            return p.variableHeader().properties();
        }
        return ((MqttReasonCodeAndPropertiesVariableHeader) m.variableHeader()).properties();
    }

    /** A property's value, or null when absent. */
    public static Object property(MqttMessage m, MqttPropertyType type) {
        MqttProperties.MqttProperty<?> p = propertiesOf(m).getProperty(type.value());
        return p == null ? null : p.value();
    }

    /** Every value of a property that may repeat (Subscription Identifier). */
    public static List<Object> properties(MqttMessage m, MqttPropertyType type) {
        return propertiesOf(m).getProperties(type.value()).stream().<Object>map(MqttProperties.MqttProperty::value)
                .toList();
    }

    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Asserts the next packet is a 5.0 DISCONNECT with this reason code. The broker closes the socket only once the
     * client has (or after a grace period), so tests that need the close await it themselves.
     */
    public static void expectDisconnect(RawMqttClient client, int reasonCode) {
        MqttMessage disconnect = client.expect(MqttMessageType.DISCONNECT);
        assertEquals(reasonCode, RawMqttClient.reasonCode(disconnect), "DISCONNECT reason code");
    }
}
