package io.conduit.persistence;

import io.conduit.mqtt.MqttServer;
import io.conduit.routing.Message;
import io.conduit.session.Session;
import io.conduit.session.SessionRegistry;
import io.conduit.testing.PostgresResource;
import io.conduit.testing.RawMqttClient;
import io.conduit.testing.Sql;
import io.netty.handler.codec.mqtt.MqttMessageType;
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
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An offline persistent session with a queue a hundred times its memory window: after reconnecting, the subscriber
 * must get every message, in order, while the writer still works off the backlog the queue left behind.
 */
@QuarkusTest
@TestProfile(LongStoredQueueTest.LongQueues.class)
class LongStoredQueueTest {

    private static final int MESSAGES = 100_000;

    public static class LongQueues implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("conduit.mqtt.limits.max-queued-messages", "200000",
                    "conduit.mqtt.limits.max-inflight", "32",
                    "conduit.persistence.memory-window", "1000",
                    "conduit.persistence.write-queue-capacity", "20000");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(PostgresResource.class));
        }
    }

    @Inject
    MqttServer server;

    @Inject
    SessionRegistry sessions;

    @Inject
    StoreProducers stores;

    @Test
    void hundredThousandStoredMessagesArriveInOrderAfterReconnect() throws Exception {
        String client = "long-queue-sub";
        try (RawMqttClient sub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_3_1_1, client, false,
                null)) {
            sub.subscribe(1, "long/queue", 1);
            sub.disconnect();
        }
        Session session = sessions.get(client);
        assertNotNull(session);
        await().atMost(Duration.ofSeconds(5)).until(() -> !session.isOnline());
        // Seeded through the session and its store, as routing would, as fast as the writer takes them.
        BatchWriter writer = stores.writer();
        CompletionStage<Void> last = null;
        for (int i = 0; i < MESSAGES; i++) {
            last = session.deliver(Message.of("long/queue", "m" + i, 1, false), 1, false, new int[0]);
            if (writer.saturated()) {
                last.toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
        }
        assertEquals(MESSAGES, session.queuedCount());

        // Reconnect at once, while the last writes are still queued.
        try (RawMqttClient sub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_3_1_1, client, false,
                null)) {
            assertTrue(sub.connAck().variableHeader().isSessionPresent());
            for (int i = 0; i < MESSAGES; i++) {
                MqttPublishMessage p = sub.expect(MqttMessageType.PUBLISH);
                assertEquals("m" + i, RawMqttClient.payload(p), "message " + i);
                sub.ack(MqttMessageType.PUBACK, p.variableHeader().packetId());
            }
            sub.expectNothing(Duration.ofMillis(300));
        }
        last.toCompletableFuture().get(30, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(
                "SELECT count(*) FROM mqtt_queued_message WHERE client_id = ?", client) == 0);
    }
}
