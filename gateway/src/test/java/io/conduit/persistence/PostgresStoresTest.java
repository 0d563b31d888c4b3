package io.conduit.persistence;

import io.conduit.metrics.BrokerMetrics;
import io.conduit.mqtt.MqttServer;
import io.conduit.routing.Message;
import io.conduit.session.Session;
import io.conduit.session.SessionRegistry;
import io.conduit.testing.EmbeddedPostgres;
import io.conduit.testing.PostgresResource;
import io.conduit.testing.RawMqttClient;
import io.conduit.testing.Sql;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubscriptionOption;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.*;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The PostgreSQL stores against a real server: which rows a session, its subscriptions, its queue and retained
 * messages become, and what the broker does while the database is gone. Rows are read with plain JDBC.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresResource.class, restrictToAnnotatedClass = true)
class PostgresStoresTest {

    private static final Duration WRITE_BEHIND = Duration.ofSeconds(10);
    private static final String PERSISTENCE_CHECK = "checks.find { it.name == 'conduit-persistence' }.status";

    @Inject
    MqttServer server;

    @Inject
    BrokerMetrics metrics;

    @Inject
    SessionRegistry sessions;

    @Test
    void persistentSession311IsARowWithItsSubscriptions() throws Exception {
        try (RawMqttClient c = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_3_1_1, "pg-s311", false,
                null)) {
            assertEquals(1, c.subscribe(1, "pg/s311/+/temp", 1).payload().grantedQoSLevels().get(0));
        }
        await().atMost(WRITE_BEHIND).until(() -> Sql.count(
                "SELECT count(*) FROM mqtt_subscription WHERE client_id = 'pg-s311'") == 1);
        Map<String, Object> session = Sql.row("SELECT * FROM mqtt_session WHERE client_id = 'pg-s311'");
        assertEquals(4, num(session.get("protocol_level")));
        // 3.1.1 persistent sessions live as long as the broker allows: the default maximum, 0xFFFFFFFF.
        assertEquals(4294967295L, session.get("expiry_interval"));
        Map<String, Object> sub = Sql.row("SELECT * FROM mqtt_subscription WHERE client_id = 'pg-s311'");
        assertEquals("pg/s311/+/temp", sub.get("topic_key"));
        assertEquals("pg/s311/+/temp", sub.get("topic_filter"));
        assertNull(sub.get("share_group"));
        assertEquals(1, num(sub.get("qos")));
        assertEquals(0, sub.get("subscription_id"));
    }

    @Test
    void persistentSession5KeepsSubscriptionOptionsAndIdentifier() throws Exception {
        try (RawMqttClient c = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, "pg-s5", true,
                expiry(120))) {
            c.subscribe(1, "pg/s5/#", new MqttSubscriptionOption(MqttQoS.EXACTLY_ONCE, true, true,
                    MqttSubscriptionOption.RetainedHandlingPolicy.DONT_SEND_AT_SUBSCRIBE), subscriptionId(42));
            c.subscribe(2, "$share/grp/pg/s5/shared", MqttSubscriptionOption.onlyFromQos(MqttQoS.AT_LEAST_ONCE),
                    subscriptionId(7));
            c.disconnect();
        }
        await().atMost(WRITE_BEHIND).until(() -> Sql.count(
                "SELECT count(*) FROM mqtt_session WHERE client_id = 'pg-s5' AND disconnected_at IS NOT NULL") == 1);
        Map<String, Object> session = Sql.row("SELECT * FROM mqtt_session WHERE client_id = 'pg-s5'");
        assertEquals(5, num(session.get("protocol_level")));
        assertEquals(120L, session.get("expiry_interval"));
        assertNull(session.get("will_topic"), "a normal DISCONNECT leaves no will");

        Map<String, Object> plain = Sql.row(
                "SELECT * FROM mqtt_subscription WHERE client_id = 'pg-s5' AND topic_key = 'pg/s5/#'");
        assertEquals(2, num(plain.get("qos")));
        assertEquals(true, plain.get("no_local"));
        assertEquals(true, plain.get("retain_as_published"));
        assertEquals(2, num(plain.get("retain_handling")));
        assertEquals(42, plain.get("subscription_id"));
        Map<String, Object> shared = Sql.row(
                "SELECT * FROM mqtt_subscription WHERE client_id = 'pg-s5' AND topic_key = '$share/grp/pg/s5/shared'");
        assertEquals("pg/s5/shared", shared.get("topic_filter"));
        assertEquals("grp", shared.get("share_group"));
        assertEquals(1, num(shared.get("qos")));
        assertEquals(7, shared.get("subscription_id"));
    }

    @Test
    void unsubscribeAndSessionEndRemoveRows() throws Exception {
        try (RawMqttClient c = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, "pg-unsub", true,
                expiry(120))) {
            c.subscribe(1, "pg/unsub/a", 1);
            c.subscribe(2, "pg/unsub/b", 1);
            c.send(MqttMessageBuilders.unsubscribe().messageId(3)
                    .addTopicFilter("pg/unsub/a").build());
            c.expect(MqttMessageType.UNSUBACK);
            await().atMost(WRITE_BEHIND).until(() -> Sql.rows(
                    "SELECT topic_key FROM mqtt_subscription WHERE client_id = 'pg-unsub'")
                    .equals(List.of(Map.of("topic_key", "pg/unsub/b"))));
            // Session Expiry 0 on DISCONNECT ends the session with the connection: nothing may be left behind.
            MqttProperties props = new MqttProperties();
            props.add(new MqttProperties.IntegerProperty(SESSION_EXPIRY_INTERVAL.value(), 0));
            c.disconnect(0, props);
        }
        await().atMost(WRITE_BEHIND).until(() -> Sql.count(
                "SELECT count(*) FROM mqtt_session WHERE client_id = 'pg-unsub'") == 0);
        assertEquals(0, Sql.count("SELECT count(*) FROM mqtt_subscription WHERE client_id = 'pg-unsub'"));
    }

    @Test
    void cleanSessionsWriteNothing() throws Exception {
        try (RawMqttClient v3 = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_3_1_1, "pg-clean3", true,
                null);
             RawMqttClient v5 = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, "pg-clean5", false,
                     null)) {
            v3.subscribe(1, "pg/clean/t", 2);
            v5.subscribe(1, "pg/clean/t", new MqttSubscriptionOption(MqttQoS.EXACTLY_ONCE, true, false,
                    MqttSubscriptionOption.RetainedHandlingPolicy.SEND_AT_SUBSCRIBE), null);
            v5.publish("pg/clean/t", "hello", 2, false, 2, null);
            v5.expect(MqttMessageType.PUBREC);
            v5.ack(MqttMessageType.PUBREL, 2);
            v5.expect(MqttMessageType.PUBCOMP);
            assertEquals("hello", RawMqttClient.payload(v3.expect(MqttMessageType.PUBLISH)));
        }
        // The writer commits in submission order, so once a later persistent session is visible, anything the
        // clean sessions had written would be too.
        try (RawMqttClient marker = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_3_1_1, "pg-clean-mark",
                false, null)) {
            marker.subscribe(1, "pg/clean/marker", 1);
        }
        await().atMost(WRITE_BEHIND).until(() -> Sql.count(
                "SELECT count(*) FROM mqtt_subscription WHERE client_id = 'pg-clean-mark'") == 1);
        for (String table : List.of("mqtt_session", "mqtt_subscription", "mqtt_queued_message", "mqtt_inbound_qos2")) {
            assertEquals(0, Sql.count("SELECT count(*) FROM " + table
                    + " WHERE client_id IN ('pg-clean3', 'pg-clean5')"), table);
        }
    }

    @Test
    void queuedMessagesAreRowsUntilAcknowledged() throws Exception {
        try (RawMqttClient sub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, "pg-q-sub", true,
                expiry(300))) {
            sub.subscribe(1, "pg/q/#", MqttSubscriptionOption.onlyFromQos(MqttQoS.AT_LEAST_ONCE), subscriptionId(9));
            sub.disconnect();
        }
        awaitOffline("pg-q-sub");
        try (RawMqttClient pub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_3_1_1, "pg-q-pub", true,
                null)) {
            for (int i = 1; i <= 5; i++) {
                pub.publish("pg/q/" + i, "m" + i, 1, false, i, null);
                // A durable PUBACK promises the row is committed: no waiting needed before looking.
                pub.expect(MqttMessageType.PUBACK);
            }
        }
        List<Map<String, Object>> rows = Sql.rows(
                "SELECT * FROM mqtt_queued_message WHERE client_id = 'pg-q-sub' ORDER BY seq");
        assertEquals(5, rows.size());
        for (int i = 0; i < 5; i++) {
            Map<String, Object> row = rows.get(i);
            assertEquals("pg/q/" + (i + 1), row.get("topic"));
            assertArrayEquals(("m" + (i + 1)).getBytes(StandardCharsets.UTF_8), (byte[]) row.get("payload"));
            assertEquals(1, num(row.get("qos")));
            assertNull(row.get("packet_id"), "not sent yet");
            assertArrayEquals(new Integer[] {9}, (Integer[]) row.get("subscription_ids"));
            assertEquals("pg-q-pub", row.get("publisher_id"));
            if (i > 0) {
                assertTrue((Long) row.get("seq") > (Long) rows.get(i - 1).get("seq"), "seq follows arrival order");
            }
        }

        try (RawMqttClient sub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, "pg-q-sub", false,
                expiry(300))) {
            assertTrue(sub.connAck().variableHeader().isSessionPresent());
            List<Integer> packetIds = new ArrayList<>();
            for (int i = 1; i <= 5; i++) {
                MqttPublishMessage p = sub.expect(MqttMessageType.PUBLISH);
                assertEquals("m" + i, RawMqttClient.payload(p));
                packetIds.add(p.variableHeader().packetId());
            }
            // Sent but unacknowledged: the rows stay, marked with the packet id they went out with.
            await().atMost(WRITE_BEHIND).until(() -> Sql.rows("SELECT packet_id FROM mqtt_queued_message "
                    + "WHERE client_id = 'pg-q-sub' AND packet_id IS NOT NULL ORDER BY seq").stream()
                    .map(r -> r.get("packet_id")).toList().equals(packetIds));
            for (int id : packetIds) {
                sub.ack(MqttMessageType.PUBACK, id);
            }
            await().atMost(WRITE_BEHIND).until(() -> Sql.count(
                    "SELECT count(*) FROM mqtt_queued_message WHERE client_id = 'pg-q-sub'") == 0);
        }
    }

    @Test
    void aCleanStartReplacementNumbersOnAndALateDeliveryToTheEndedSessionStoresNothing() throws Exception {
        String client = "pg-replaced";
        try (RawMqttClient sub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, client, true,
                expiry(300))) {
            sub.subscribe(1, "pg/replaced", 1);
            sub.disconnect();
        }
        try (RawMqttClient pub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_3_1_1, "pg-replaced-pub",
                true, null)) {
            for (int i = 0; i < 3; i++) {
                pub.publish("pg/replaced", "old" + i, 1, false, i + 1, null);
                pub.expect(MqttMessageType.PUBACK);
            }
            long oldLast = Sql.count("SELECT max(seq) FROM mqtt_queued_message WHERE client_id = ?", client);
            Session old = sessions.get(client);
            try (RawMqttClient sub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, client, true,
                    expiry(300))) {
                sub.subscribe(1, "pg/replaced", 1);
                sub.disconnect();
            }
            // A publish routed to the old session just as it ended (it had matched before the unsubscribe).
            assertNull(old.deliver(Message.of("pg/replaced", "ghost", 1, false), 1, false, new int[0]));
            for (int i = 0; i < 5; i++) {
                pub.publish("pg/replaced", "new" + i, 1, false, 10 + i, null);
                pub.expect(MqttMessageType.PUBACK);
            }
            List<Map<String, Object>> rows = Sql.rows(
                    "SELECT seq, payload FROM mqtt_queued_message WHERE client_id = ? ORDER BY seq", client);
            assertEquals(List.of("new0", "new1", "new2", "new3", "new4"), rows.stream()
                    .map(r -> new String((byte[]) r.get("payload"), StandardCharsets.UTF_8)).toList());
            assertTrue((Long) rows.get(0).get("seq") > oldLast, "numbered after the replaced session's messages");
        }
        try (RawMqttClient sub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, client, false,
                expiry(0))) {
            for (int i = 0; i < 5; i++) {
                MqttPublishMessage p = sub.expect(MqttMessageType.PUBLISH);
                assertEquals("new" + i, RawMqttClient.payload(p));
                sub.ack(MqttMessageType.PUBACK, p.variableHeader().packetId());
            }
            sub.expectNothing(Duration.ofMillis(300));
        }
    }

    @Test
    void queueBeyondItsBoundDropsTheNewest() throws Exception {
        // %test allows 50 queued messages per session.
        int limit = 50;
        int extra = 7;
        try (RawMqttClient sub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_3_1_1, "pg-bound-sub", false,
                null)) {
            sub.subscribe(1, "pg/bound", 1);
        }
        awaitOffline("pg-bound-sub");
        long droppedBefore = metrics.messagesDropped.sum();
        try (RawMqttClient pub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_3_1_1, "pg-bound-pub", true,
                null)) {
            for (int i = 0; i < limit + extra; i++) {
                pub.publish("pg/bound", "b" + i, 1, false, i + 1, null);
                pub.expect(MqttMessageType.PUBACK);
            }
        }
        assertEquals(extra, metrics.messagesDropped.sum() - droppedBefore);
        assertEquals(limit, Sql.count("SELECT count(*) FROM mqtt_queued_message WHERE client_id = 'pg-bound-sub'"));
        try (RawMqttClient sub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_3_1_1, "pg-bound-sub", false,
                null)) {
            for (int i = 0; i < limit; i++) {
                MqttPublishMessage p = sub.expect(MqttMessageType.PUBLISH);
                assertEquals("b" + i, RawMqttClient.payload(p));
                sub.ack(MqttMessageType.PUBACK, p.variableHeader().packetId());
            }
            sub.expectNothing(Duration.ofMillis(500));
        }
        await().atMost(WRITE_BEHIND).until(() -> Sql.count(
                "SELECT count(*) FROM mqtt_queued_message WHERE client_id = 'pg-bound-sub'") == 0);
    }

    @Test
    void retainedMessagesKeepTheirPropertiesAndAnEmptyPayloadDeletesThem() throws Exception {
        MqttProperties props = new MqttProperties();
        props.add(new MqttProperties.IntegerProperty(PAYLOAD_FORMAT_INDICATOR.value(), 1));
        props.add(new MqttProperties.StringProperty(CONTENT_TYPE.value(), "text/plain"));
        props.add(new MqttProperties.StringProperty(RESPONSE_TOPIC.value(), "pg/retained/reply"));
        props.add(new MqttProperties.BinaryProperty(CORRELATION_DATA.value(), new byte[] {1, 2, 3}));
        props.add(new MqttProperties.UserProperty("k1", "v1"));
        props.add(new MqttProperties.UserProperty("k2", "v2"));
        props.add(new MqttProperties.IntegerProperty(PUBLICATION_EXPIRY_INTERVAL.value(), 3600));
        try (RawMqttClient pub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, "pg-ret-pub", true,
                null)) {
            pub.publish("pg/retained/a", "21.5", 1, true, 1, props);
            pub.expect(MqttMessageType.PUBACK);
            Map<String, Object> row = Sql.row("SELECT * FROM mqtt_retained_message WHERE topic = 'pg/retained/a'");
            assertArrayEquals("21.5".getBytes(StandardCharsets.UTF_8), (byte[]) row.get("payload"));
            assertEquals(1, num(row.get("qos")));
            assertEquals("pg-ret-pub", row.get("publisher_id"));
            assertEquals(1, num(row.get("payload_format")));
            assertEquals("text/plain", row.get("content_type"));
            assertEquals("pg/retained/reply", row.get("response_topic"));
            assertArrayEquals(new byte[] {1, 2, 3}, (byte[]) row.get("correlation_data"));
            assertArrayEquals(new String[] {"k1", "v1", "k2", "v2"}, (String[]) row.get("user_properties"));
            long expiry = (Long) row.get("expiry_interval");
            assertTrue(expiry > 3590 && expiry <= 3600, "remaining expiry " + expiry);
            assertNotNull(row.get("stored_at"));

            // A QoS 0 retained publish has no acknowledgement to wait for, so its rows are awaited.
            pub.publish("pg/retained/b", "x", 0, true, 0, null);
            await().atMost(WRITE_BEHIND).until(() -> Sql.count(
                    "SELECT count(*) FROM mqtt_retained_message WHERE topic = 'pg/retained/b'") == 1);

            pub.publish("pg/retained/a", "", 1, true, 2, null);
            pub.expect(MqttMessageType.PUBACK);
            assertEquals(0, Sql.count("SELECT count(*) FROM mqtt_retained_message WHERE topic = 'pg/retained/a'"));
            assertEquals(1, Sql.count("SELECT count(*) FROM mqtt_retained_message WHERE topic = 'pg/retained/b'"));
        }
    }

    @Test
    void anExpiredRetainedMessageLosesItsRowWhenAReadFindsIt() throws Exception {
        MqttProperties props = new MqttProperties();
        props.add(new MqttProperties.IntegerProperty(PUBLICATION_EXPIRY_INTERVAL.value(), 1));
        try (RawMqttClient pub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, "pg-ret-exp-pub", true,
                null)) {
            pub.publish("pg/retained-exp/a", "soon gone", 1, true, 1, props);
            pub.expect(MqttMessageType.PUBACK);
            pub.publish("pg/retained-exp/b", "stays", 1, true, 2, null);
            pub.expect(MqttMessageType.PUBACK);
        }
        assertEquals(2, Sql.count("SELECT count(*) FROM mqtt_retained_message WHERE topic LIKE 'pg/retained-exp/%'"));
        Thread.sleep(1500);
        try (RawMqttClient sub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, "pg-ret-exp-sub", true,
                null)) {
            sub.subscribe(1, "pg/retained-exp/+", 1);
            MqttPublishMessage p = sub.expect(MqttMessageType.PUBLISH);
            assertEquals("stays", RawMqttClient.payload(p));
            sub.expectNothing(Duration.ofMillis(300));
        }
        await().atMost(WRITE_BEHIND).until(() -> Sql.count(
                "SELECT count(*) FROM mqtt_retained_message WHERE topic = 'pg/retained-exp/a'") == 0);
        assertEquals(1, Sql.count("SELECT count(*) FROM mqtt_retained_message WHERE topic = 'pg/retained-exp/b'"));
    }

    @Test
    void connackOfAPersistentSessionWaitsUntilItsRowIsCommitted() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(server.tcpPort())) {
            EmbeddedPostgres.get().stop();
            try {
                c.send(RawMqttClient.connectPacket(MqttVersion.MQTT_3_1_1, "pg-connack-wait", false));
                assertNull(c.poll(Duration.ofSeconds(1)), "no CONNACK while the session row cannot be written");
            } finally {
                EmbeddedPostgres.get().start();
            }
            MqttMessage ack = c.poll(Duration.ofSeconds(20));
            assertNotNull(ack, "CONNACK once the database is back");
            assertEquals(MqttMessageType.CONNACK, ack.fixedHeader().messageType());
            assertEquals(1, Sql.count("SELECT count(*) FROM mqtt_session WHERE client_id = 'pg-connack-wait'"));
        }
    }

    @Test
    void readinessReportsThePersistenceCheck() {
        given().get("/q/health/ready").then().statusCode(200).body(PERSISTENCE_CHECK, equalTo("UP"))
                .body("checks.find { it.name == 'conduit-persistence' }.data.store", equalTo("postgresql"));
    }

    @Test
    void databaseOutage() throws Exception {
        int port = server.tcpPort();
        try (RawMqttClient sub = RawMqttClient.connect(port, MqttVersion.MQTT_3_1_1, "pg-down-durable", false, null)) {
            sub.subscribe(1, "pg/down/durable", 1);
            sub.disconnect();
        }
        await().atMost(WRITE_BEHIND).until(() -> Sql.count("SELECT count(*) FROM mqtt_session s "
                + "JOIN mqtt_subscription USING (client_id) WHERE client_id = 'pg-down-durable' "
                + "AND s.disconnected_at IS NOT NULL") == 1);

        EmbeddedPostgres.get().stop();
        boolean restarted = false;
        try (RawMqttClient cleanSub = RawMqttClient.connect(port, MqttVersion.MQTT_3_1_1, "pg-down-csub", true, null);
             RawMqttClient pub = RawMqttClient.connect(port, MqttVersion.MQTT_5, "pg-down-pub", true, null)) {
            cleanSub.subscribe(1, "pg/down/clean", 1);
            assertCleanPubSubWorks(pub, cleanSub, 10);

            pub.publish("pg/down/durable", "kept", 1, false, 20, null);
            // Only the database can make this message durable: no promise while it is down.
            pub.expectNothing(Duration.ofSeconds(2));
            await().atMost(WRITE_BEHIND).untilAsserted(() -> given().get("/q/health/ready").then().statusCode(503)
                    .body(PERSISTENCE_CHECK, equalTo("DOWN")));

            // A publisher whose acknowledgements do not queue behind the stuck one is served as before.
            try (RawMqttClient other = RawMqttClient.connect(port, MqttVersion.MQTT_3_1_1, "pg-down-pub2", true,
                    null)) {
                assertCleanPubSubWorks(other, cleanSub, 30);
            }

            EmbeddedPostgres.get().start();
            restarted = true;
            // The writer retries with a back-off of up to 5 s.
            MqttMessage ack = pub.poll(Duration.ofSeconds(20));
            assertNotNull(ack, "no PUBACK after the database came back");
            assertEquals(MqttMessageType.PUBACK, ack.fixedHeader().messageType());
            assertEquals(0, RawMqttClient.reasonCode(ack));
        } finally {
            if (!restarted) {
                EmbeddedPostgres.get().start();
            }
        }
        try (RawMqttClient sub = RawMqttClient.connect(port, MqttVersion.MQTT_3_1_1, "pg-down-durable", false, null)) {
            assertTrue(sub.connAck().variableHeader().isSessionPresent());
            MqttPublishMessage p = sub.expect(MqttMessageType.PUBLISH);
            assertEquals("kept", RawMqttClient.payload(p));
            sub.ack(MqttMessageType.PUBACK, p.variableHeader().packetId());
        }
        given().get("/q/health/ready").then().statusCode(200).body(PERSISTENCE_CHECK, equalTo("UP"));
    }

    /** The broker handles a client's DISCONNECT after the client has sent it: publishes sent next could race it. */
    private void awaitOffline(String clientId) {
        await().atMost(WRITE_BEHIND).until(() -> !sessions.get(clientId).isOnline());
    }

    private static void assertCleanPubSubWorks(RawMqttClient pub, RawMqttClient sub, int firstPacketId) {
        pub.publish("pg/down/clean", "q0", 0, false, 0, null);
        assertEquals("q0", RawMqttClient.payload(sub.expect(MqttMessageType.PUBLISH)));
        pub.publish("pg/down/clean", "q1", 1, false, firstPacketId, null);
        MqttMessage ack = pub.expect(MqttMessageType.PUBACK);
        assertEquals(0, RawMqttClient.reasonCode(ack));
        MqttPublishMessage p = sub.expect(MqttMessageType.PUBLISH);
        assertEquals("q1", RawMqttClient.payload(p));
        sub.ack(MqttMessageType.PUBACK, p.variableHeader().packetId());
    }

    private static int num(Object smallint) {
        return ((Number) smallint).intValue();
    }

    private static MqttProperties expiry(int seconds) {
        MqttProperties props = new MqttProperties();
        props.add(new MqttProperties.IntegerProperty(SESSION_EXPIRY_INTERVAL.value(), seconds));
        return props;
    }

    private static MqttProperties subscriptionId(int id) {
        MqttProperties props = new MqttProperties();
        props.add(new MqttProperties.IntegerProperty(SUBSCRIPTION_IDENTIFIER.value(), id));
        return props;
    }
}
