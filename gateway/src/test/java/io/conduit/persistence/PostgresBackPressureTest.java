package io.conduit.persistence;

import io.conduit.mqtt.MqttServer;
import io.conduit.testing.EmbeddedPostgres;
import io.conduit.testing.PostgresResource;
import io.conduit.testing.RawMqttClient;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A write queue of 20 while the database is down: the queue fills, the publisher is paused (and what it had already
 * sent is refused), and all of it must come unstuck once the database is back.
 */
@QuarkusTest
@TestProfile(PostgresBackPressureTest.TinyWriteQueue.class)
class PostgresBackPressureTest {

    private static final int REFUSED = 0x97;

    public static class TinyWriteQueue implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("conduit.persistence.write-queue-capacity", "20",
                    "conduit.mqtt.limits.max-queued-messages", "500");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(PostgresResource.class));
        }
    }

    @Inject
    MqttServer server;

    @Test
    void fullWriteQueueRefusesThenRecovers() throws Exception {
        int port = server.tcpPort();
        String subscriber = "pg-bp-sub";
        try (RawMqttClient sub = RawMqttClient.connect(port, MqttVersion.MQTT_5, subscriber, true, expiry(300))) {
            sub.subscribe(1, "pg/bp", 1);
            sub.disconnect();
        }
        int total = 60;
        List<Integer> accepted = new ArrayList<>();
        try (RawMqttClient pub = RawMqttClient.connect(port, MqttVersion.MQTT_5, "pg-bp-pub", true, null)) {
            EmbeddedPostgres.get().stop();
            try {
                for (int i = 0; i < total; i++) {
                    pub.publish("pg/bp", "m" + i, 1, false, i + 1, null);
                }
                pub.expectNothing(Duration.ofSeconds(1));
            } finally {
                EmbeddedPostgres.get().start();
            }
            for (int i = 0; i < total; i++) {
                // The writer backs off up to 5 s between attempts; the paused channel is read again once it drains.
                MqttMessage ack = pub.poll(Duration.ofSeconds(20));
                assertNotNull(ack, "PUBACK " + (i + 1) + " never came: the publisher is stuck");
                int reason = RawMqttClient.reasonCode(ack);
                assertTrue(reason == 0 || reason == REFUSED, "reason " + reason);
                if (reason == 0) {
                    accepted.add(i);
                }
            }
            // Packets read before the pause found the queue full (0x97); those still unread when the channel paused
            // were read and accepted after the drain. How many of each depends on how TCP split the burst.
            assertTrue(accepted.size() >= 20, "accepted only " + accepted);
            // Reading resumed: a new message goes through as usual.
            pub.publish("pg/bp", "after", 1, false, 100, null);
            assertEquals(0, RawMqttClient.reasonCode(pub.expect(MqttMessageType.PUBACK)));
        }
        try (RawMqttClient sub = RawMqttClient.connect(port, MqttVersion.MQTT_5, subscriber, false, expiry(300))) {
            List<String> got = new ArrayList<>();
            MqttMessage m;
            while ((m = sub.poll(Duration.ofSeconds(2))) != null) {
                MqttPublishMessage p = (MqttPublishMessage) m;
                got.add(RawMqttClient.payload(p));
                sub.ack(MqttMessageType.PUBACK, p.variableHeader().packetId());
            }
            for (int i = 0; i < total; i++) {
                // Refused with 0x97 means not taken: the publisher may send it again, so it must not arrive too.
                assertEquals(accepted.contains(i), got.contains("m" + i), "m" + i + " accepted: "
                        + accepted.contains(i) + ", received: " + got);
            }
            assertEquals("after", got.get(got.size() - 1));
        }
    }

    private static MqttProperties expiry(int seconds) {
        MqttProperties props = new MqttProperties();
        props.add(new MqttProperties.IntegerProperty(SESSION_EXPIRY_INTERVAL.value(), seconds));
        return props;
    }
}
