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

import static io.conduit.testing.V5Packets.intProp;
import static io.conduit.testing.V5Packets.property;
import static io.conduit.testing.V5Packets.props;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.PUBLICATION_EXPIRY_INTERVAL;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MQTT 5.0 section 3.3.2.3.3: Message Expiry Interval. Expiry is a matter of wall-clock time, so these tests have to
 * let seconds pass; they use the shortest intervals the one-second resolution allows.
 */
@QuarkusTest
class MessageExpiryTest {

    private static final Duration QUIET = Duration.ofMillis(400);

    @Inject
    MqttServer server;

    @Test
    void messageThatExpiresWhileTheSessionIsOfflineIsNotDelivered() throws Exception {
        String id = "expiry-offline-late";
        subscribeAndGoOffline(id, "expiry/late/t");
        try (RawMqttClient pub = raw("expiry-offline-late-pub")) {
            pub.publish("expiry/late/t", "expires", 1, false, 1, expiry(2));
            pub.expect(MqttMessageType.PUBACK);
            // Sent after the expiring one, so receiving it proves the queue was drained past it.
            pub.publish("expiry/late/t", "stays", 1, false, 2, null);
            pub.expect(MqttMessageType.PUBACK);
        }

        Thread.sleep(3_000);

        try (RawMqttClient sub = resume(id)) {
            MqttPublishMessage p = sub.expect(MqttMessageType.PUBLISH);
            assertEquals("stays", RawMqttClient.payload(p));
            assertNull(property(p, PUBLICATION_EXPIRY_INTERVAL), "a message without expiry gets none");
            sub.ack(MqttMessageType.PUBACK, p.variableHeader().packetId());
            sub.expectNothing(QUIET);
        }
    }

    @Test
    void messageStillValidIsDeliveredWithItsRemainingInterval() throws Exception {
        String id = "expiry-offline-soon";
        subscribeAndGoOffline(id, "expiry/soon/t");
        try (RawMqttClient pub = raw("expiry-offline-soon-pub")) {
            pub.publish("expiry/soon/t", "fresh", 1, false, 1, expiry(2));
            pub.expect(MqttMessageType.PUBACK);
        }

        try (RawMqttClient sub = resume(id)) {
            MqttPublishMessage p = sub.expect(MqttMessageType.PUBLISH);
            assertEquals("fresh", RawMqttClient.payload(p));
            Integer remaining = (Integer) property(p, PUBLICATION_EXPIRY_INTERVAL);
            assertTrue(remaining != null && remaining >= 1 && remaining <= 2,
                    "remaining expiry interval in [1, 2] but was " + remaining);
            sub.ack(MqttMessageType.PUBACK, p.variableHeader().packetId());
        }
    }

    @Test
    void retainedMessageIsGoneOnceItExpires() throws Exception {
        try (RawMqttClient pub = raw("expiry-retained-pub")) {
            pub.publish("expiry/retained/t", "short-lived", 1, true, 1, expiry(1));
            pub.expect(MqttMessageType.PUBACK);
            long published = System.nanoTime();

            try (RawMqttClient early = raw("expiry-retained-early")) {
                early.subscribe(1, "expiry/retained/t", 1);
                MqttPublishMessage p = early.expect(MqttMessageType.PUBLISH);
                assertEquals("short-lived", RawMqttClient.payload(p));
                assertTrue(p.fixedHeader().isRetain());
                assertEquals(1, property(p, PUBLICATION_EXPIRY_INTERVAL));
            }

            Thread.sleep(Math.max(0, 2_000 - (System.nanoTime() - published) / 1_000_000));

            try (RawMqttClient late = raw("expiry-retained-late")) {
                late.subscribe(1, "expiry/retained/t", 1);
                late.expectNothing(QUIET);
            }
        }
    }

    private void subscribeAndGoOffline(String clientId, String filter) throws InterruptedException {
        try (RawMqttClient sub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, clientId, true,
                props(intProp(SESSION_EXPIRY_INTERVAL, 300)))) {
            sub.subscribe(1, filter, 1);
            sub.disconnect();
        }
    }

    private RawMqttClient resume(String clientId) throws InterruptedException {
        RawMqttClient sub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, clientId, false,
                props(intProp(SESSION_EXPIRY_INTERVAL, 0)));
        assertTrue(sub.connAck().variableHeader().isSessionPresent(), "the session survived the disconnect");
        return sub;
    }

    private RawMqttClient raw(String clientId) throws InterruptedException {
        return RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, clientId, true, null);
    }

    private static MqttProperties expiry(int seconds) {
        return props(intProp(PUBLICATION_EXPIRY_INTERVAL, seconds));
    }
}
