package io.conduit.persistence;

import io.conduit.metrics.BrokerMetrics;
import io.conduit.mqtt.MqttServer;
import io.conduit.testing.PostgresResource;
import io.conduit.testing.RawMqttClient;
import io.conduit.testing.Sql;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Queues far longer than the memory window: only 5 messages of an offline session stay on the heap, the rest are
 * read back from PostgreSQL page by page, and the order must survive the round trip, also while new messages keep
 * arriving.
 */
@QuarkusTest
@TestProfile(PostgresPagingTest.SmallMemoryWindow.class)
class PostgresPagingTest {

    private static final int MAX_QUEUED = 500;

    public static class SmallMemoryWindow implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("conduit.persistence.memory-window", "5",
                    "conduit.mqtt.limits.max-queued-messages", String.valueOf(MAX_QUEUED));
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(PostgresResource.class));
        }
    }

    @Inject
    MqttServer server;

    @Inject
    BrokerMetrics metrics;

    @Test
    void longQueueIsPagedInInOrderWhileMoreArrive() throws Exception {
        String client = "pg-page-sub";
        offlineSubscriber(client, "pg/page");
        try (RawMqttClient pub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_3_1_1, "pg-page-pub", true,
                null)) {
            publishAll(pub, "pg/page", 0, 200);
            assertEquals(200, Sql.count("SELECT count(*) FROM mqtt_queued_message WHERE client_id = ?", client));

            try (RawMqttClient sub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, client, false,
                    expiry(300))) {
                assertTrue(sub.connAck().variableHeader().isSessionPresent());
                CompletableFuture<Void> more = null;
                for (int i = 0; i < 300; i++) {
                    if (i == 20) {
                        // New messages while most of the queue is still in the database: they belong behind it.
                        more = CompletableFuture.runAsync(() -> publishAll(pub, "pg/page", 200, 300));
                    }
                    MqttPublishMessage p = sub.expect(MqttMessageType.PUBLISH);
                    assertEquals("p" + i, RawMqttClient.payload(p));
                    assertFalse(p.fixedHeader().isDup());
                    sub.ack(MqttMessageType.PUBACK, p.variableHeader().packetId());
                }
                more.get(30, TimeUnit.SECONDS);
                sub.expectNothing(Duration.ofMillis(500));
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> Sql.count(
                "SELECT count(*) FROM mqtt_queued_message WHERE client_id = ?", client) == 0);
    }

    @Test
    void queueBoundCountsWhatWaitsInTheDatabase() throws Exception {
        String client = "pg-page-bound";
        int extra = 10;
        offlineSubscriber(client, "pg/page-bound");
        long droppedBefore = metrics.messagesDropped.sum();
        try (RawMqttClient pub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_3_1_1, "pg-page-bound-pub",
                true,
                null)) {
            publishAll(pub, "pg/page-bound", 0, MAX_QUEUED + extra);
        }
        assertEquals(extra, metrics.messagesDropped.sum() - droppedBefore);
        Map<String, Object> kept = Sql.row("SELECT count(*) AS n, min(seq) AS first, max(seq) AS last "
                + "FROM mqtt_queued_message WHERE client_id = ?", client);
        assertEquals((long) MAX_QUEUED, kept.get("n"));
        assertEquals((long) MAX_QUEUED - 1, (Long) kept.get("last") - (Long) kept.get("first"));

        try (RawMqttClient sub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, client, false,
                expiry(300))) {
            for (int i = 0; i < MAX_QUEUED; i++) {
                MqttPublishMessage p = sub.expect(MqttMessageType.PUBLISH);
                assertEquals("p" + i, RawMqttClient.payload(p), "the newest are dropped, never the oldest");
                sub.ack(MqttMessageType.PUBACK, p.variableHeader().packetId());
            }
            sub.expectNothing(Duration.ofMillis(500));
        }
    }

    @Test
    void sessionResumedWithoutExpiryStillGetsItsWholeQueue() throws Exception {
        String client = "pg-page-noexp";
        offlineSubscriber(client, "pg/page-noexp");
        try (RawMqttClient pub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_3_1_1, "pg-page-noexp-pub",
                true, null)) {
            publishAll(pub, "pg/page-noexp", 0, 30);
            // Session Expiry 0 from now on: the session ends with this connection, but what it holds is delivered.
            try (RawMqttClient sub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, client, false,
                    null)) {
                assertTrue(sub.connAck().variableHeader().isSessionPresent());
                CompletableFuture<Void> more = null;
                for (int i = 0; i < 40; i++) {
                    if (i == 3) {
                        more = CompletableFuture.runAsync(() -> publishAll(pub, "pg/page-noexp", 30, 40));
                    }
                    MqttPublishMessage p = sub.expect(MqttMessageType.PUBLISH);
                    assertEquals("p" + i, RawMqttClient.payload(p));
                    sub.ack(MqttMessageType.PUBACK, p.variableHeader().packetId());
                }
                more.get(30, TimeUnit.SECONDS);
                sub.expectNothing(Duration.ofMillis(500));
                sub.disconnect();
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> Sql.count(
                "SELECT count(*) FROM mqtt_session WHERE client_id = ?", client) == 0);
    }

    private void offlineSubscriber(String clientId, String topic) throws InterruptedException {
        try (RawMqttClient sub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, clientId, true,
                expiry(300))) {
            sub.subscribe(1, topic, 1);
            sub.disconnect();
        }
    }

    /** Publishes without waiting between messages (the writer commits them in groups), then takes every PUBACK. */
    private static void publishAll(RawMqttClient pub, String topic, int from, int to) {
        for (int i = from; i < to; i++) {
            pub.publish(topic, "p" + i, 1, false, i + 1, null);
        }
        for (int i = from; i < to; i++) {
            assertEquals(0, RawMqttClient.reasonCode(pub.expect(MqttMessageType.PUBACK)));
        }
    }

    private static MqttProperties expiry(int seconds) {
        MqttProperties props = new MqttProperties();
        props.add(new MqttProperties.IntegerProperty(SESSION_EXPIRY_INTERVAL.value(), seconds));
        return props;
    }
}
