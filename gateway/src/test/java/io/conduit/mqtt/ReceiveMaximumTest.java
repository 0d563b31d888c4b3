package io.conduit.mqtt;

import io.conduit.testing.RawMqttClient;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.conduit.testing.V5Packets.expectDisconnect;
import static io.conduit.testing.V5Packets.intProp;
import static io.conduit.testing.V5Packets.property;
import static io.conduit.testing.V5Packets.props;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.RECEIVE_MAXIMUM;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MQTT 5.0 section 4.9: flow control with Receive Maximum, in both directions. The test profile's max-inflight=10 is
 * the broker's Receive Maximum.
 */
@QuarkusTest
class ReceiveMaximumTest {

    private static final Duration QUIET = Duration.ofMillis(400);

    @Inject
    MqttServer server;

    @Test
    void connackCarriesTheBrokersReceiveMaximum() throws Exception {
        try (RawMqttClient c = raw("recvmax-connack", 0)) {
            assertEquals(10, property(c.connAck(), RECEIVE_MAXIMUM));
        }
    }

    @Test
    void brokerSendsNoMoreUnacknowledgedMessagesThanTheClientsReceiveMaximum() throws Exception {
        try (RawMqttClient sub = raw("recvmax-client-sub", 2); RawMqttClient pub = raw("recvmax-client-pub", 0)) {
            sub.subscribe(1, "recvmax/client/t", 1);
            for (int i = 0; i < 5; i++) {
                pub.publish("recvmax/client/t", "m" + i, 1, false, i + 1, null);
                pub.expect(MqttMessageType.PUBACK);
            }

            MqttPublishMessage m0 = expectPublish(sub, "m0");
            MqttPublishMessage m1 = expectPublish(sub, "m1");
            sub.expectNothing(QUIET);

            // Each PUBACK frees one slot of the window, and only one.
            sub.ack(MqttMessageType.PUBACK, m0.variableHeader().packetId());
            MqttPublishMessage m2 = expectPublish(sub, "m2");
            sub.expectNothing(QUIET);

            sub.ack(MqttMessageType.PUBACK, m1.variableHeader().packetId());
            sub.ack(MqttMessageType.PUBACK, m2.variableHeader().packetId());
            expectPublish(sub, "m3");
            expectPublish(sub, "m4");
        }
    }

    @Test
    void qos2MessageHoldsItsSlotUntilPubcomp() throws Exception {
        try (RawMqttClient sub = raw("recvmax-qos2-sub", 1); RawMqttClient pub = raw("recvmax-qos2-pub", 0)) {
            sub.subscribe(1, "recvmax/qos2/t", 2);
            for (int i = 0; i < 2; i++) {
                pub.publish("recvmax/qos2/t", "m" + i, 2, false, i + 1, null);
                pub.expect(MqttMessageType.PUBREC);
                pub.ack(MqttMessageType.PUBREL, i + 1);
                pub.expect(MqttMessageType.PUBCOMP);
            }

            MqttPublishMessage m0 = expectPublish(sub, "m0");
            sub.ack(MqttMessageType.PUBREC, m0.variableHeader().packetId());
            sub.expect(MqttMessageType.PUBREL);
            // PUBREC does not end the exchange: the window stays full until PUBCOMP.
            sub.expectNothing(QUIET);
            sub.ack(MqttMessageType.PUBCOMP, m0.variableHeader().packetId());
            expectPublish(sub, "m1");
        }
    }

    @Test
    void resumedSessionResendsNoMoreThanTheNewReceiveMaximum() throws Exception {
        MqttProperties persistent = props(intProp(SESSION_EXPIRY_INTERVAL, 60));
        RawMqttClient sub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, "recvmax-resume-sub", true,
                persistent);
        sub.subscribe(1, "recvmax/resume/t", 1);
        try (RawMqttClient pub = raw("recvmax-resume-pub", 0)) {
            for (int i = 0; i < 4; i++) {
                pub.publish("recvmax/resume/t", "m" + i, 1, false, i + 1, null);
                pub.expect(MqttMessageType.PUBACK);
            }
        }
        for (int i = 0; i < 4; i++) {
            expectPublish(sub, "m" + i);
        }
        // Four in flight, none acknowledged; the client comes back able to take only two at a time.
        sub.kill();
        try (RawMqttClient back = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, "recvmax-resume-sub",
                false, props(intProp(SESSION_EXPIRY_INTERVAL, 60), intProp(RECEIVE_MAXIMUM, 2)))) {
            MqttPublishMessage r0 = expectPublish(back, "m0");
            MqttPublishMessage r1 = expectPublish(back, "m1");
            assertTrue(r0.fixedHeader().isDup() && r1.fixedHeader().isDup(), "resent with DUP");
            back.expectNothing(QUIET);

            back.ack(MqttMessageType.PUBACK, r0.variableHeader().packetId());
            MqttPublishMessage r2 = expectPublish(back, "m2");
            assertTrue(r2.fixedHeader().isDup());
            back.expectNothing(QUIET);
            back.ack(MqttMessageType.PUBACK, r1.variableHeader().packetId());
            back.ack(MqttMessageType.PUBACK, r2.variableHeader().packetId());
            back.ack(MqttMessageType.PUBACK, expectPublish(back, "m3").variableHeader().packetId());
            back.disconnect(0, props(intProp(SESSION_EXPIRY_INTERVAL, 0)));
        }
    }

    @Test
    void clientExceedingTheBrokersReceiveMaximumIsDisconnected() throws Exception {
        try (RawMqttClient pub = raw("recvmax-broker-pub", 0)) {
            // QoS 2 exchanges stay open until PUBREL, which this client never sends.
            for (int i = 1; i <= 10; i++) {
                pub.publish("recvmax/broker/t", "q" + i, 2, false, i, null);
                pub.expect(MqttMessageType.PUBREC);
            }
            pub.publish("recvmax/broker/t", "q11", 2, false, 11, null);
            expectDisconnect(pub, 0x93);
            assertTrue(pub.awaitClosed(Duration.ofSeconds(5)), "closed after DISCONNECT");
        }
    }

    private RawMqttClient raw(String clientId, int receiveMaximum) throws InterruptedException {
        return RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, clientId, true,
                receiveMaximum > 0 ? props(intProp(RECEIVE_MAXIMUM, receiveMaximum)) : null);
    }

    private static MqttPublishMessage expectPublish(RawMqttClient sub, String payload) {
        MqttPublishMessage p = sub.expect(MqttMessageType.PUBLISH);
        assertEquals(payload, RawMqttClient.payload(p));
        return p;
    }
}
