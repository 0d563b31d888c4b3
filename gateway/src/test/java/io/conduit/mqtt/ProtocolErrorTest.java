package io.conduit.mqtt;

import io.conduit.testing.RawMqttClient;
import io.conduit.testing.Wire;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Packets out of order, garbage on the wire, and packets split across reads. */
@QuarkusTest
class ProtocolErrorTest {

    /** Starts with reserved packet type 0, then noise; the declared length fits what is sent. */
    private static final byte[] GARBAGE = {0x00, 0x06, (byte) 0xDE, (byte) 0xAD, (byte) 0xBE, (byte) 0xEF, 0x13, 0x37,
            (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x7F};

    @Inject
    MqttServer server;

    private static String tag(MqttVersion v) {
        return v == MqttVersion.MQTT_5 ? "5" : "311";
    }

    private void assertBrokerStillServes(String clientId) throws Exception {
        try (RawMqttClient a = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_3_1_1, clientId + "-a", true,
                null);
             RawMqttClient b = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, clientId + "-b", true,
                     null)) {
            Wire.subscribe(a, 1, 1, "proto/alive/" + clientId);
            Wire.publishRouted(b, "proto/alive/" + clientId, "ok", 1, false);
            assertEquals("ok", RawMqttClient.payload(a.expect(MqttMessageType.PUBLISH)));
        }
    }

    @Test
    void packetBeforeConnectClosesTheSocket() throws Exception {
        for (MqttMessageType type : new MqttMessageType[] {MqttMessageType.PINGREQ, MqttMessageType.DISCONNECT}) {
            try (RawMqttClient c = RawMqttClient.open(server.tcpPort())) {
                c.send(new MqttMessage(new MqttFixedHeader(type, false, MqttQoS.AT_MOST_ONCE, false, 0)));
                assertTrue(c.awaitClosed(Duration.ofSeconds(5)), type + " before CONNECT must close the socket");
                assertEquals(null, c.poll(Duration.ZERO), "nothing is answered before CONNECT");
            }
        }
        try (RawMqttClient c = RawMqttClient.open(server.tcpPort())) {
            c.publish("proto/early", "x", 1, false, 1, null);
            assertTrue(c.awaitClosed(Duration.ofSeconds(5)), "PUBLISH before CONNECT must close the socket");
        }
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void secondConnectIsAProtocolError(MqttVersion v) throws Exception {
        String id = "proto-twice-" + tag(v);
        try (RawMqttClient c = RawMqttClient.connect(server.tcpPort(), v, id, true, null)) {
            c.send(RawMqttClient.connectPacket(v, id, true));
            if (v == MqttVersion.MQTT_5) {
                MqttMessage d = c.expect(MqttMessageType.DISCONNECT);
                assertEquals(0x82, RawMqttClient.reasonCode(d), "Protocol Error");
            }
            assertTrue(c.awaitClosed(Duration.ofSeconds(5)));
        }
        assertBrokerStillServes(id);
    }

    @Test
    void garbageInsteadOfConnectClosesTheConnection() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(server.tcpPort())) {
            c.sendRaw(GARBAGE);
            assertTrue(c.awaitClosed(Duration.ofSeconds(5)));
            MqttMessage m = c.poll(Duration.ZERO);
            if (m != null) {
                // A CONNACK refusal is allowed, acceptance is not.
                assertNotEquals(0, ((MqttConnAckMessage) m).variableHeader().connectReturnCode().byteValue());
            }
        }
        assertBrokerStillServes("proto-garbage-first");
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void garbageAfterConnectClosesTheConnectionAndOthersCarryOn(MqttVersion v) throws Exception {
        String topic = "proto/" + tag(v) + "/bystander";
        try (RawMqttClient bystander = RawMqttClient.connect(server.tcpPort(), v, "proto-by-" + tag(v), true, null);
             RawMqttClient bad = RawMqttClient.connect(server.tcpPort(), v, "proto-junk-" + tag(v), true, null)) {
            Wire.subscribe(bystander, 1, 1, topic);
            bad.sendRaw(GARBAGE);
            if (v == MqttVersion.MQTT_5) {
                MqttMessage d = bad.expect(MqttMessageType.DISCONNECT);
                assertEquals(0x81, RawMqttClient.reasonCode(d), "Malformed Packet");
            }
            assertTrue(bad.awaitClosed(Duration.ofSeconds(5)));

            // A client connected all along is unaffected.
            bystander.publish(topic, "still here", 0, false, 0, null);
            assertEquals("still here", RawMqttClient.payload(bystander.expect(MqttMessageType.PUBLISH)));
        }
        assertBrokerStillServes("proto-garbage-" + tag(v));
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void packetSplitAcrossReadsIsReassembled(MqttVersion v) throws Exception {
        String topic = "proto/" + tag(v) + "/split/a-topic-long-enough-to-cut-in-half";
        try (RawMqttClient sub = RawMqttClient.connect(server.tcpPort(), v, "proto-split-s-" + tag(v), true, null);
             RawMqttClient pub = RawMqttClient.connect(server.tcpPort(), v, "proto-split-p-" + tag(v), true, null)) {
            Wire.subscribe(sub, 1, 1, topic);
            byte[] packet = publishQos1(topic, "whole", 9, v == MqttVersion.MQTT_5);
            int cut = 4 + topic.length() / 2; // inside the topic name, i.e. inside the variable header
            pub.sendRaw(Arrays.copyOfRange(packet, 0, cut));
            // TCP may carry both halves in one segment; a pause makes the broker read them separately.
            Thread.sleep(200);
            pub.sendRaw(Arrays.copyOfRange(packet, cut, packet.length));

            MqttMessage ack = pub.expect(MqttMessageType.PUBACK);
            assertEquals(9, Wire.packetId(ack));
            MqttPublishMessage m = sub.expect(MqttMessageType.PUBLISH);
            assertEquals(topic, Wire.topic(m));
            assertEquals("whole", RawMqttClient.payload(m));
            assertTrue(pub.isOpen());
        }
    }

    /** PUBLISH QoS 1 encoded by hand, so that the test controls where the bytes are cut. */
    private static byte[] publishQos1(String topic, String payload, int packetId, boolean v5) {
        byte[] t = topic.getBytes(StandardCharsets.UTF_8);
        byte[] p = payload.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(t.length >> 8);
        body.write(t.length & 0xFF);
        body.writeBytes(t);
        body.write(packetId >> 8);
        body.write(packetId & 0xFF);
        if (v5) {
            body.write(0); // no properties
        }
        body.writeBytes(p);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x32);
        int remaining = body.size();
        do {
            int digit = remaining % 128;
            remaining /= 128;
            out.write(remaining > 0 ? digit | 0x80 : digit);
        } while (remaining > 0);
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }
}
