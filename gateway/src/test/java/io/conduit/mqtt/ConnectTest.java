package io.conduit.mqtt;

import io.conduit.routing.Router;
import io.conduit.testing.RawMqttClient;
import io.conduit.testing.V5Packets;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttUnsubAckMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static io.conduit.testing.V5Packets.connect;
import static io.conduit.testing.V5Packets.intProp;
import static io.conduit.testing.V5Packets.property;
import static io.conduit.testing.V5Packets.props;
import static io.conduit.testing.V5Packets.returnCode;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.ASSIGNED_CLIENT_IDENTIFIER;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.RETAIN_AVAILABLE;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.SERVER_KEEP_ALIVE;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.SHARED_SUBSCRIPTION_AVAILABLE;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.SUBSCRIPTION_IDENTIFIER_AVAILABLE;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.WILDCARD_SUBSCRIPTION_AVAILABLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MQTT 5.0 CONNECT/CONNACK (section 3.1, 3.2) and the reason codes of PUBACK and UNSUBACK. Session expiry capping
 * needs a lower configured maximum and is in {@link LimitsTest}.
 */
@QuarkusTest
class ConnectTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @Inject
    MqttServer server;

    @Inject
    Router router;

    @Test
    void emptyClientIdGetsAnAssignedIdentifier() throws Exception {
        try (RawMqttClient first = start(MqttVersion.MQTT_5, "", true, 60);
             RawMqttClient second = start(MqttVersion.MQTT_5, "", true, 60)) {
            MqttConnAckMessage ack1 = first.expect(MqttMessageType.CONNACK);
            MqttConnAckMessage ack2 = second.expect(MqttMessageType.CONNACK);
            assertEquals(0, returnCode(ack1));
            String id1 = (String) property(ack1, ASSIGNED_CLIENT_IDENTIFIER);
            String id2 = (String) property(ack2, ASSIGNED_CLIENT_IDENTIFIER);
            assertTrue(id1 != null && !id1.isEmpty(), "Assigned Client Identifier present");
            assertNotEquals(id1, id2, "each connection gets its own identifier");
        }
    }

    @Test
    void mqtt311EmptyClientIdNeedsCleanSession() throws Exception {
        try (RawMqttClient clean = start(MqttVersion.MQTT_3_1_1, "", true, 60)) {
            assertEquals(0x00, returnCode(clean.expect(MqttMessageType.CONNACK)));
            assertTrue(clean.isOpen());
        }
        try (RawMqttClient persistent = start(MqttVersion.MQTT_3_1_1, "", false, 60)) {
            assertEquals(0x02, returnCode(persistent.expect(MqttMessageType.CONNACK)), "identifier rejected");
        }
    }

    @Test
    void keepAliveAboveTheMaximumIsReplacedByServerKeepAlive() throws Exception {
        try (RawMqttClient tooLong = start(MqttVersion.MQTT_5, "connect-ka-120", true, 120);
             RawMqttClient none = start(MqttVersion.MQTT_5, "connect-ka-0", true, 0);
             RawMqttClient fine = start(MqttVersion.MQTT_5, "connect-ka-30", true, 30)) {
            assertEquals(60, property(tooLong.expect(MqttMessageType.CONNACK), SERVER_KEEP_ALIVE));
            // Keep alive 0 means "never", which a broker with a maximum does not grant either.
            assertEquals(60, property(none.expect(MqttMessageType.CONNACK), SERVER_KEEP_ALIVE));
            assertNull(property(fine.expect(MqttMessageType.CONNACK), SERVER_KEEP_ALIVE));
        }
    }

    @Test
    void connackAdvertisesTheOptionalFeatures() throws Exception {
        try (RawMqttClient c = RawMqttClient.connect(port(), MqttVersion.MQTT_5, "connect-features", true,
                props(intProp(SESSION_EXPIRY_INTERVAL, 300)))) {
            MqttConnAckMessage ack = c.connAck();
            assertEquals(1, property(ack, RETAIN_AVAILABLE));
            assertEquals(1, property(ack, WILDCARD_SUBSCRIPTION_AVAILABLE));
            assertEquals(1, property(ack, SUBSCRIPTION_IDENTIFIER_AVAILABLE));
            assertEquals(1, property(ack, SHARED_SUBSCRIPTION_AVAILABLE));
            // The interval asked for is within the broker's maximum, so the CONNACK does not restate it.
            assertNull(property(ack, SESSION_EXPIRY_INTERVAL));
        }
    }

    @Test
    void pubackSaysWhetherAnySubscriberMatched() throws Exception {
        // Every test class shares this broker: a subscription another one left behind would make this 0x00.
        assertTrue(router.tree().match("connect/puback/t", "").isEmpty(), "connect/puback/t has a subscriber");
        try (RawMqttClient pub = raw("connect-puback-pub"); RawMqttClient sub = raw("connect-puback-sub")) {
            pub.publish("connect/puback/t", "nobody", 1, false, 1, null);
            assertEquals(0x10, RawMqttClient.reasonCode(pub.expect(MqttMessageType.PUBACK)), "No matching subscribers");
            pub.publish("connect/puback/t", "nobody", 2, false, 2, null);
            assertEquals(0x10, RawMqttClient.reasonCode(pub.expect(MqttMessageType.PUBREC)));

            sub.subscribe(1, "connect/puback/+", 0);
            pub.publish("connect/puback/t", "somebody", 1, false, 3, null);
            assertEquals(0x00, RawMqttClient.reasonCode(pub.expect(MqttMessageType.PUBACK)));
        }
    }

    @Test
    void unsupportedProtocolLevelIsRefused() throws Exception {
        byte[] connectLevel6 = {
                0x10, 15,
                0, 4, 'M', 'Q', 'T', 'T', 6, 0x02, 0, 60, 0,
                0, 2, 'l', '6'};
        try (RawMqttClient c = RawMqttClient.open(port())) {
            c.sendRaw(connectLevel6);
            int code = returnCode(c.expect(MqttMessageType.CONNACK));
            assertTrue(code == 0x01 || code == 0x84, "unacceptable protocol version, got " + code);
            // The broker lingers for the client to close first, but not for ever.
            assertTrue(c.awaitClosed(WAIT), "closed after the refusal");
        }
    }

    @Test
    void unsubackReasonCodes() throws Exception {
        try (RawMqttClient c = raw("connect-unsuback")) {
            c.subscribe(1, "connect/unsub/a", 0);
            c.send(MqttMessageBuilders.unsubscribe().messageId(2)
                    .addTopicFilter("connect/unsub/a").addTopicFilter("connect/unsub/never").build());
            MqttUnsubAckMessage ack = assertInstanceOf(MqttUnsubAckMessage.class, c.expect(MqttMessageType.UNSUBACK));
            assertEquals(List.of((short) 0x00, (short) 0x11), ack.payload().unsubscribeReasonCodes());
        }
    }

    private int port() {
        return server.tcpPort();
    }

    /** Sends a CONNECT without reading the CONNACK. */
    private RawMqttClient start(MqttVersion version, String clientId, boolean cleanStart, int keepAlive)
            throws InterruptedException {
        return V5Packets.send(port(), connect(version, clientId, cleanStart, keepAlive, null));
    }

    private RawMqttClient raw(String clientId) throws InterruptedException {
        return RawMqttClient.connect(port(), MqttVersion.MQTT_5, clientId, true, null);
    }
}
