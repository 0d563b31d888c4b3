package io.conduit.persistence;

import io.conduit.testing.EmbeddedPostgres;
import io.conduit.testing.RawMqttClient;
import io.conduit.testing.Sql;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttPublishVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.conduit.testing.V5Packets.intProp;
import static io.conduit.testing.V5Packets.property;
import static io.conduit.testing.V5Packets.props;
import static io.conduit.testing.V5Packets.stringProp;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.*;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The packaged gateway as its own JVM on a real PostgreSQL, stopped and started again: by SIGKILL in the middle of
 * traffic, and by SIGTERM. What was acknowledged must survive, in order and without duplicates where MQTT forbids
 * them; session expiry and delayed wills must keep counting across the restart.
 *
 * <p>The gateway keeps only {@value #MEMORY_WINDOW} queued messages per session on the heap, so that recovery also
 * goes through paging the rest back from the database.
 */
class PersistenceRestartIT {

    private static final Path APP = Path.of("target", "quarkus-app", "quarkus-run.jar");
    private static final Path LOGS = Path.of("target", "persistence-it");
    private static final int MEMORY_WINDOW = 20;

    /** Every gateway of this JVM, killed at exit too, in case the test JVM is stopped before @AfterEach runs. */
    private static final Set<Process> ALL = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> ALL.forEach(Process::destroyForcibly),
                "persistence-it-gateways"));
    }

    private final List<Process> started = new ArrayList<>();
    private String testName;
    private int mqttPort;
    private int httpPort;
    private Process gateway;

    @BeforeAll
    static void database() throws IOException {
        assertTrue(Files.isRegularFile(APP), APP.toAbsolutePath() + " missing: run the integration tests with "
                + "`mvn verify`, which packages the application first");
        Files.createDirectories(LOGS);
        EmbeddedPostgres.get();
    }

    @BeforeEach
    void startGateway(TestInfo info) throws Exception {
        testName = info.getTestMethod().orElseThrow().getName();
        mqttPort = freePort();
        httpPort = freePort();
        gateway = startGateway();
    }

    @AfterEach
    void killGateways() throws InterruptedException {
        for (Process p : started) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            ALL.remove(p);
        }
        started.clear();
    }

    // ---- a) SIGKILL in the middle of traffic ------------------------------------------------------------------

    @Test
    void crashKeepsEveryAcknowledgedMessageInOrderAndQos2ExactlyOnce() throws Exception {
        String v5 = "it-crash-sub5";
        String v3 = "it-crash-sub3";
        try (RawMqttClient s5 = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, v5, true, sessionExpiry(300));
             RawMqttClient s3 = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_3_1_1, v3, false, null)) {
            s5.subscribe(1, "restart/#", 2);
            s3.subscribe(1, "restart/#", 2);
            s5.disconnect();
            s3.disconnect();
        }

        // A stored session resumed with Session Expiry 0 ends with its connection: the crash ends that too.
        try (RawMqttClient c = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, "it-crash-noexp", true,
                sessionExpiry(300))) {
            c.subscribe(1, "restart/noexp", 1);
            c.disconnect();
        }
        RawMqttClient endsWithConnection = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, "it-crash-noexp",
                false, null);
        assertTrue(endsWithConnection.connAck().variableHeader().isSessionPresent());

        // A persistent publisher whose QoS 2 exchange the crash interrupts after PUBREC.
        RawMqttClient once = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, "it-crash-once", true,
                sessionExpiry(300));
        once.publish("restart/once", "1", 2, false, 7, null);
        assertEquals(0, RawMqttClient.reasonCode(once.expect(MqttMessageType.PUBREC)));

        TrackingPublisher publisher = new TrackingPublisher(RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5,
                "it-crash-pub", true, null));
        Thread publishing = new Thread(publisher, "it-crash-publisher");
        publishing.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> publisher.acknowledged() >= 300 || !publishing.isAlive());
        assertTrue(publishing.isAlive(), "the publisher stopped before the crash: " + publisher.failure);
        gateway.destroyForcibly();
        assertTrue(gateway.waitFor(10, TimeUnit.SECONDS));
        publishing.join(10_000);
        assertFalse(publishing.isAlive(), "the publisher did not notice the crash");
        Map<String, Set<Integer>> acked = publisher.acked;
        assertTrue(acked.get("restart/q1").size() > 100 && acked.get("restart/q2").size() > 100, acked.toString());

        gateway = startGateway();
        once.close();
        endsWithConnection.close();
        try (RawMqttClient c = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, "it-crash-noexp", false, null)) {
            assertFalse(c.connAck().variableHeader().isSessionPresent(), "a session with expiry 0 outlived a crash");
        }
        try (RawMqttClient again = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, "it-crash-once", false,
                sessionExpiry(300))) {
            assertTrue(again.connAck().variableHeader().isSessionPresent());
            // A client that missed the PUBREC sends the PUBLISH again: the recovered packet id says it was routed.
            again.send(new MqttPublishMessage(new MqttFixedHeader(MqttMessageType.PUBLISH, true,
                    MqttQoS.EXACTLY_ONCE, false, 0), new MqttPublishVariableHeader("restart/once", 7,
                    MqttProperties.NO_PROPERTIES), Unpooled.copiedBuffer("1", StandardCharsets.UTF_8)));
            MqttMessage rec = again.expect(MqttMessageType.PUBREC);
            assertEquals(0, RawMqttClient.reasonCode(rec));
            again.ack(MqttMessageType.PUBREL, 7);
            assertEquals(0, RawMqttClient.reasonCode(again.expect(MqttMessageType.PUBCOMP)),
                    "PUBREL after the restart finds the packet id");
        }
        // Published after the restart, so it is queued behind everything recovered; a sequence number reused after
        // recovery would make the store discard it.
        try (RawMqttClient pub = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_3_1_1, "it-crash-pub2", true,
                null)) {
            pub.publish("restart/end", "end", 1, false, 1, null);
            pub.expect(MqttMessageType.PUBACK);
        }
        for (String id : List.of(v5, v3)) {
            boolean isV5 = id.equals(v5);
            try (RawMqttClient sub = RawMqttClient.connect(mqttPort, isV5 ? MqttVersion.MQTT_5
                    : MqttVersion.MQTT_3_1_1, id, false, isV5 ? sessionExpiry(300) : null)) {
                assertTrue(sub.connAck().variableHeader().isSessionPresent(), id + ": session present");
                Map<String, List<Integer>> got = collectUntilEnd(sub);
                String where = id + " acked " + summary(acked) + " sent " + publisher.sent + " got " + summary(got);
                checkTopic(got.get("restart/q1"), acked.get("restart/q1"), publisher.sent.get(), true, where);
                checkTopic(got.get("restart/q2"), acked.get("restart/q2"), publisher.sent.get(), false, where);
                assertEquals(List.of(1), got.get("restart/once"), "QoS 2 resent after the restart: " + where);
            }
        }
        // Every PUBACK and PUBCOMP of the subscribers has emptied their queues.
        await().atMost(Duration.ofSeconds(10)).until(() -> Sql.count("SELECT count(*) FROM mqtt_queued_message "
                + "WHERE client_id IN (?, ?)", v5, v3) == 0);
    }

    /**
     * Per topic: every acknowledged sequence number arrived, in publisher order. QoS 2 never twice; QoS 1 twice only
     * if the publisher never got its PUBACK, which it would have resent.
     */
    private static void checkTopic(List<Integer> got, Set<Integer> acked, int sent, boolean qos1, String where) {
        assertNotNull(got, where);
        assertTrue(new HashSet<>(got).containsAll(acked), "acknowledged but lost: " + where);
        for (int i = 1; i < got.size(); i++) {
            int previous = got.get(i - 1);
            int current = got.get(i);
            boolean allowedDuplicate = qos1 && current == previous && !acked.contains(current);
            assertTrue(current > previous || allowedDuplicate, "out of order or duplicated at " + i + ": " + where);
        }
        assertTrue(got.isEmpty() || got.get(got.size() - 1) <= sent, "never published: " + where);
    }

    /**
     * Receives as a careful client would: acknowledges every QoS 1/2 message, treats a QoS 2 packet id seen before
     * its PUBREL as the same message, and stops after the message on restart/end once every QoS 2 exchange is
     * complete. Returns the payloads by topic.
     */
    private static Map<String, List<Integer>> collectUntilEnd(RawMqttClient sub) {
        Map<String, List<Integer>> got = new LinkedHashMap<>();
        Set<Integer> awaitingRelease = new HashSet<>();
        boolean end = false;
        while (!end || !awaitingRelease.isEmpty()) {
            MqttMessage m = sub.poll(Duration.ofSeconds(10));
            assertNotNull(m, "restart/end never arrived; so far " + summary(got));
            if (m.fixedHeader().messageType() == MqttMessageType.PUBREL) {
                int id = packetId(m);
                awaitingRelease.remove(id);
                sub.ack(MqttMessageType.PUBCOMP, id);
                continue;
            }
            assertEquals(MqttMessageType.PUBLISH, m.fixedHeader().messageType(), m.toString());
            MqttPublishMessage p = (MqttPublishMessage) m;
            int qos = p.fixedHeader().qosLevel().value();
            int id = p.variableHeader().packetId();
            boolean fresh = qos != 2 || awaitingRelease.add(id);
            if (qos == 1) {
                sub.ack(MqttMessageType.PUBACK, id);
            } else if (qos == 2) {
                sub.ack(MqttMessageType.PUBREC, id);
            }
            String topic = p.variableHeader().topicName();
            if (topic.equals("restart/end")) {
                end = true;
            } else if (fresh) {
                got.computeIfAbsent(topic, t -> new ArrayList<>()).add(Integer.parseInt(RawMqttClient.payload(p)));
            }
        }
        return got;
    }

    /**
     * Publishes sequence numbers 1, 2, 3... to restart/q1 at QoS 1 and restart/q2 at QoS 2 with several messages
     * unacknowledged at a time, and records which ones the broker acknowledged (PUBACK, or PUBREC for QoS 2: both
     * promise the message is stored). Runs until the connection dies.
     */
    private static final class TrackingPublisher implements Runnable {
        private static final int WINDOW = 16;

        final RawMqttClient client;
        final Map<String, Set<Integer>> acked = Map.of("restart/q1", ConcurrentHashMap.newKeySet(),
                "restart/q2", ConcurrentHashMap.newKeySet());
        final AtomicInteger sent = new AtomicInteger();
        volatile Throwable failure;
        private final Map<Integer, Object[]> unfinished = new HashMap<>();
        private int nextPacketId = 1;

        TrackingPublisher(RawMqttClient client) {
            this.client = client;
        }

        int acknowledged() {
            return acked.values().stream().mapToInt(Set::size).sum();
        }

        @Override
        public void run() {
            try {
                while (true) {
                    while (unfinished.size() < WINDOW) {
                        int seq = sent.incrementAndGet();
                        send("restart/q1", 1, seq);
                        send("restart/q2", 2, seq);
                    }
                    MqttMessage m = client.poll(Duration.ofMillis(200));
                    if (m == null) {
                        if (!client.isOpen()) {
                            return;
                        }
                        continue;
                    }
                    int id = packetId(m);
                    Object[] what = unfinished.get(id);
                    if (what == null) {
                        throw new AssertionError("acknowledgement for unknown packet id: " + m);
                    }
                    switch (m.fixedHeader().messageType()) {
                        case PUBACK -> {
                            assertEquals(0, RawMqttClient.reasonCode(m));
                            acked.get((String) what[0]).add((Integer) what[1]);
                            unfinished.remove(id);
                        }
                        case PUBREC -> {
                            assertEquals(0, RawMqttClient.reasonCode(m));
                            acked.get((String) what[0]).add((Integer) what[1]);
                            client.ack(MqttMessageType.PUBREL, id);
                        }
                        case PUBCOMP -> unfinished.remove(id);
                        default -> throw new AssertionError("unexpected " + m);
                    }
                }
            } catch (AssertionError e) {
                failure = e;
            } catch (RuntimeException e) {
                // Writing to the connection of a killed broker: the expected end.
            }
        }

        private void send(String topic, int qos, int seq) {
            int id = nextPacketId++;
            unfinished.put(id, new Object[] {topic, seq});
            client.publish(topic, String.valueOf(seq), qos, false, id, null);
        }
    }

    private static final String ADMIN_PASSWORD = "it-admin-password";

    /** Waits until the gateway reports the client's session as not connected (admin API). */
    private void awaitOffline(String clientId) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest request = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + httpPort + "/api/v1/sessions/" + clientId))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        ("admin:" + ADMIN_PASSWORD).getBytes(StandardCharsets.UTF_8)))
                .build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true) {
            String body = http.send(request, HttpResponse.BodyHandlers.ofString()).body();
            if (body.contains("\"connected\":false")) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("session " + clientId + " still connected: " + body);
            }
            Thread.sleep(50);
        }
    }

    // ---- b) SIGTERM with an in-flight message and a queue -------------------------------------------------------

    @Test
    void gracefulRestartRedeliversInFlightWithDupThenTheQueue() throws Exception {
        String id = "it-graceful-sub";
        int inflightPacketId;
        int releasedPacketId;
        try (RawMqttClient sub = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, id, true, sessionExpiry(300));
             RawMqttClient pub = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, "it-graceful-pub", true,
                     null)) {
            sub.subscribe(1, "graceful/#", 2);
            pub.publish("graceful/t", "g0", 1, false, 1, null);
            pub.expect(MqttMessageType.PUBACK);
            MqttPublishMessage first = sub.expect(MqttMessageType.PUBLISH);
            assertEquals("g0", RawMqttClient.payload(first));
            inflightPacketId = first.variableHeader().packetId();
            // A QoS 2 message the subscriber has received (PUBREC) but not completed (no PUBCOMP).
            pub.publish("graceful/q2", "r0", 2, false, 2, null);
            pub.expect(MqttMessageType.PUBREC);
            pub.ack(MqttMessageType.PUBREL, 2);
            pub.expect(MqttMessageType.PUBCOMP);
            MqttPublishMessage second = sub.expect(MqttMessageType.PUBLISH);
            assertEquals("r0", RawMqttClient.payload(second));
            releasedPacketId = second.variableHeader().packetId();
            sub.ack(MqttMessageType.PUBREC, releasedPacketId);
            assertEquals(releasedPacketId, packetId(sub.expect(MqttMessageType.PUBREL)));
            // Neither finished: the connection goes away with g0 unacknowledged and r0 uncompleted.
            sub.kill();
            // Until the broker has seen the socket close, g1... would still go out on it (in flight, DUP later).
            awaitOffline(id);
            for (int i = 1; i <= 30; i++) {
                pub.publish("graceful/t", "g" + i, 1, false, i + 10, null);
                pub.expect(MqttMessageType.PUBACK);
            }
            pub.publish("graceful/t", "short-lived", 1, false, 50, props(intProp(PUBLICATION_EXPIRY_INTERVAL, 1)));
            pub.expect(MqttMessageType.PUBACK);
            pub.publish("graceful/t", "g31", 1, false, 51, props(intProp(PUBLICATION_EXPIRY_INTERVAL, 3600)));
            pub.expect(MqttMessageType.PUBACK);
            MqttProperties retainedProps = props(stringProp(CONTENT_TYPE, "application/json"),
                    intProp(PUBLICATION_EXPIRY_INTERVAL, 3600), new MqttProperties.UserProperty("origin", "it"));
            pub.publish("it-retained/x", "{\"v\":1}", 1, true, 100, retainedProps);
            pub.expect(MqttMessageType.PUBACK);
        }

        gateway.destroy();
        assertTrue(gateway.waitFor(30, TimeUnit.SECONDS), "the gateway did not stop on SIGTERM");
        gateway = startGateway();

        try (RawMqttClient sub = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, id, false, sessionExpiry(300))) {
            assertTrue(sub.connAck().variableHeader().isSessionPresent());
            MqttPublishMessage again = sub.expect(MqttMessageType.PUBLISH);
            assertEquals("g0", RawMqttClient.payload(again));
            assertTrue(again.fixedHeader().isDup(), "a resent in-flight message has DUP set");
            assertEquals(inflightPacketId, again.variableHeader().packetId(), "resent with its packet id");
            sub.ack(MqttMessageType.PUBACK, inflightPacketId);
            // r0 was received: the exchange resumes at PUBREL, the message itself is not sent again.
            assertEquals(releasedPacketId, packetId(sub.expect(MqttMessageType.PUBREL)));
            sub.ack(MqttMessageType.PUBCOMP, releasedPacketId);
            for (int i = 1; i <= 31; i++) {
                MqttPublishMessage p = sub.expect(MqttMessageType.PUBLISH);
                // "short-lived" expired while the gateway was down and is never delivered.
                assertEquals("g" + i, RawMqttClient.payload(p));
                assertFalse(p.fixedHeader().isDup(), "g" + i + " was never sent before");
                if (i == 31) {
                    int remaining = (Integer) property(p, PUBLICATION_EXPIRY_INTERVAL);
                    assertTrue(remaining > 3500 && remaining < 3600, "expiry kept counting: " + remaining);
                }
                sub.ack(MqttMessageType.PUBACK, p.variableHeader().packetId());
            }
            sub.expectNothing(Duration.ofMillis(500));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> Sql.count(
                "SELECT count(*) FROM mqtt_queued_message WHERE client_id = ?", id) == 0);

        try (RawMqttClient reader = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, "it-retained-reader", true,
                null)) {
            reader.subscribe(1, "it-retained/#", 1);
            MqttPublishMessage r = reader.expect(MqttMessageType.PUBLISH);
            assertTrue(r.fixedHeader().isRetain());
            assertEquals("{\"v\":1}", RawMqttClient.payload(r));
            assertEquals("application/json", property(r, CONTENT_TYPE));
            int remaining = (Integer) property(r, PUBLICATION_EXPIRY_INTERVAL);
            assertTrue(remaining > 3500 && remaining <= 3600, "expiry kept counting: " + remaining);
            assertEquals("it", userProperty(r, "origin"));
        }
    }

    /**
     * PUBREL, PUBCOMP, SUBACK and UNSUBACK each let the client drop state (a packet id in use, a pending
     * subscription change), so they may only go out once the broker's own record of the change is stored: otherwise
     * a crash brings back what the client has already let go of. The database is stopped to hold those writes back,
     * then the gateway is killed; the clients act on whatever reached them.
     */
    @Test
    void stepsThatLetAClientForgetWaitForTheStore() throws Exception {
        String subscriber = "it-q2-sub";
        String publisher = "it-q2-pub";
        String inSubscriber = "it-q2-in-sub";
        String subscribing = "it-suback";
        String live = "it-q2-live";
        try (RawMqttClient in = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, inSubscriber, true,
                sessionExpiry(300))) {
            in.subscribe(1, "q2/in", 2);
            in.disconnect();
        }
        RawMqttClient sub = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, subscriber, true, sessionExpiry(300));
        sub.subscribe(1, "q2/out", 2);
        RawMqttClient pub = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, publisher, true, sessionExpiry(300));
        pub.publish("q2/out", "once", 2, false, 1, null);
        pub.expect(MqttMessageType.PUBREC);
        pub.ack(MqttMessageType.PUBREL, 1);
        pub.expect(MqttMessageType.PUBCOMP);
        MqttPublishMessage delivered = sub.expect(MqttMessageType.PUBLISH);
        int outId = delivered.variableHeader().packetId();
        pub.publish("q2/in", "first", 2, false, 9, null);
        assertEquals(0, RawMqttClient.reasonCode(pub.expect(MqttMessageType.PUBREC)));
        // Online when the next QoS 2 message comes; the packet ids it has seen differ from those after recovery.
        RawMqttClient liveSub = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, live, true, sessionExpiry(300));
        liveSub.subscribe(1, "q2/live", 2);
        for (int i = 0; i < 5; i++) {
            pub.publish("q2/live", "warm-up", 1, false, 20 + i, null);
            pub.expect(MqttMessageType.PUBACK);
            liveSub.ack(MqttMessageType.PUBACK, liveSub.<MqttPublishMessage>expect(MqttMessageType.PUBLISH)
                    .variableHeader().packetId());
        }
        RawMqttClient changing = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, subscribing, true,
                sessionExpiry(300));
        changing.subscribe(1, "acked/unsub", 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> Sql.count(
                "SELECT count(*) FROM mqtt_subscription WHERE client_id = ?", subscribing) == 1);

        // A careful client on both sides: the subscriber keeps "once" as received until PUBREL, the publisher
        // keeps packet id 9 in use until PUBCOMP.
        Set<Integer> subscriberAwaitingRelease = new HashSet<>(Set.of(outId));
        int copiesOfOnce = 1;
        boolean pubcompBeforeCrash;
        boolean subackBeforeCrash;
        boolean unsubackBeforeCrash;
        Set<Integer> liveAwaitingRelease = new HashSet<>();
        int copiesOfLive = 0;
        EmbeddedPostgres.get().stop();
        try {
            // Neither the publisher's packet id nor the subscriber's copy can be stored now.
            pub.publish("q2/live", "live", 2, false, 12, null);
            MqttMessage early = liveSub.poll(Duration.ofSeconds(1));
            if (early != null) {
                int id = packetId(early);
                liveAwaitingRelease.add(id);
                copiesOfLive++;
                liveSub.ack(MqttMessageType.PUBREC, id);
            }
            sub.ack(MqttMessageType.PUBREC, outId);
            pub.ack(MqttMessageType.PUBREL, 9);
            changing.send(MqttMessageBuilders.subscribe().messageId(2)
                    .addSubscription(MqttQoS.AT_LEAST_ONCE, "acked/sub").build());
            changing.send(MqttMessageBuilders.unsubscribe().messageId(3).addTopicFilter("acked/unsub").build());
            MqttMessage rel = sub.poll(Duration.ofSeconds(1));
            if (rel != null) {
                assertEquals(MqttMessageType.PUBREL, rel.fixedHeader().messageType());
                subscriberAwaitingRelease.remove(packetId(rel));
                sub.ack(MqttMessageType.PUBCOMP, packetId(rel));
            }
            MqttMessage comp = pub.poll(Duration.ofSeconds(1));
            pubcompBeforeCrash = comp != null;
            MqttMessage subAck = changing.poll(Duration.ofSeconds(1));
            MqttMessage unsubAck = subAck == null ? null : changing.poll(Duration.ofSeconds(1));
            subackBeforeCrash = subAck != null;
            unsubackBeforeCrash = unsubAck != null;
            gateway.destroyForcibly();
            assertTrue(gateway.waitFor(10, TimeUnit.SECONDS));
        } finally {
            EmbeddedPostgres.get().start();
        }
        sub.close();
        pub.close();
        changing.close();
        liveSub.close();
        gateway = startGateway();

        try (RawMqttClient s = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, subscriber, false,
                sessionExpiry(300))) {
            MqttMessage m;
            while ((m = s.poll(Duration.ofSeconds(2))) != null) {
                int id = packetId(m);
                if (m instanceof MqttPublishMessage p) {
                    assertEquals("once", RawMqttClient.payload(p));
                    if (subscriberAwaitingRelease.add(id)) {
                        copiesOfOnce++;
                    }
                    s.ack(MqttMessageType.PUBREC, id);
                } else {
                    assertEquals(MqttMessageType.PUBREL, m.fixedHeader().messageType());
                    subscriberAwaitingRelease.remove(id);
                    s.ack(MqttMessageType.PUBCOMP, id);
                }
            }
            assertEquals(1, copiesOfOnce, "a QoS 2 message the subscriber had completed came back as a new one");
        }
        try (RawMqttClient p = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, publisher, false,
                sessionExpiry(300))) {
            if (!pubcompBeforeCrash) {
                p.ack(MqttMessageType.PUBREL, 9);
                p.expect(MqttMessageType.PUBCOMP);
            }
            // No PUBREC came for packet id 12 before the crash: the client sends the PUBLISH again.
            p.send(new MqttPublishMessage(new MqttFixedHeader(MqttMessageType.PUBLISH, true, MqttQoS.EXACTLY_ONCE,
                    false, 0), new MqttPublishVariableHeader("q2/live", 12, MqttProperties.NO_PROPERTIES),
                    Unpooled.copiedBuffer("live", StandardCharsets.UTF_8)));
            p.expect(MqttMessageType.PUBREC);
            p.ack(MqttMessageType.PUBREL, 12);
            p.expect(MqttMessageType.PUBCOMP);
            // Packet id 9 is free again from the client's point of view: this is a new message.
            p.publish("q2/in", "second", 2, false, 9, null);
            p.expect(MqttMessageType.PUBREC);
            p.ack(MqttMessageType.PUBREL, 9);
            p.expect(MqttMessageType.PUBCOMP);
        }
        try (RawMqttClient l = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, live, false, sessionExpiry(300))) {
            MqttMessage m;
            while ((m = l.poll(Duration.ofSeconds(2))) != null) {
                int id = packetId(m);
                if (m instanceof MqttPublishMessage p) {
                    if (liveAwaitingRelease.add(id)) {
                        copiesOfLive++;
                    }
                    l.ack(MqttMessageType.PUBREC, id);
                } else {
                    liveAwaitingRelease.remove(id);
                    l.ack(MqttMessageType.PUBCOMP, id);
                }
            }
            assertEquals(1, copiesOfLive, "a QoS 2 message went out before it was stored, and again after the crash");
        }
        try (RawMqttClient in = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, inSubscriber, false,
                sessionExpiry(300))) {
            List<String> got = new ArrayList<>();
            MqttMessage m;
            while (got.size() < 2 && (m = in.poll(Duration.ofSeconds(5))) != null) {
                if (m instanceof MqttPublishMessage p) {
                    got.add(RawMqttClient.payload(p));
                    in.ack(MqttMessageType.PUBREC, p.variableHeader().packetId());
                } else {
                    in.ack(MqttMessageType.PUBCOMP, packetId(m));
                }
            }
            assertEquals(List.of("first", "second"), got,
                    "a new QoS 2 message reusing a completed packet id must not be taken for a retransmission");
        }

        try (RawMqttClient c = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, subscribing, false,
                sessionExpiry(300));
             RawMqttClient p = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, "it-suback-pub", true, null)) {
            assertTrue(c.connAck().variableHeader().isSessionPresent());
            // Changes the broker never confirmed are made again; confirmed ones are relied on.
            if (!subackBeforeCrash) {
                c.subscribe(4, "acked/sub", 1);
            }
            if (!unsubackBeforeCrash) {
                c.send(MqttMessageBuilders.unsubscribe().messageId(5).addTopicFilter("acked/unsub").build());
                c.expect(MqttMessageType.UNSUBACK);
            }
            p.publish("acked/unsub", "unwanted", 1, false, 1, null);
            p.expect(MqttMessageType.PUBACK);
            p.publish("acked/sub", "wanted", 1, false, 2, null);
            p.expect(MqttMessageType.PUBACK);
            MqttPublishMessage m = c.expect(MqttMessageType.PUBLISH);
            assertEquals("wanted", RawMqttClient.payload(m), "SUBACK / UNSUBACK promised more than was stored");
            c.ack(MqttMessageType.PUBACK, m.variableHeader().packetId());
            c.expectNothing(Duration.ofMillis(500));
        }
    }

    // ---- c) session expiry across a restart -------------------------------------------------------------------

    @Test
    void sessionExpiryKeepsCountingWhileTheGatewayIsDown() throws Exception {
        String expiring = "it-expiry-short";
        String lasting = "it-expiry-long";
        try (RawMqttClient a = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, expiring, true, sessionExpiry(3));
             RawMqttClient b = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, lasting, true,
                     sessionExpiry(300))) {
            a.subscribe(1, "expiry/t", 1);
            b.subscribe(1, "expiry/t", 1);
            a.disconnect();
            b.disconnect();
        }
        long disconnected = System.nanoTime();
        try (RawMqttClient pub = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, "it-expiry-pub", true, null)) {
            pub.publish("expiry/t", "old", 1, false, 1, null);
            pub.expect(MqttMessageType.PUBACK);
        }
        // Both sessions and the queued message are in the database: what follows is about expiry, not loss.
        assertEquals(2, Sql.count("SELECT count(*) FROM mqtt_queued_message WHERE client_id IN (?, ?)",
                expiring, lasting));

        // Killed rather than stopped: a running gateway would expire the session itself once 3 s have passed.
        gateway.destroyForcibly();
        assertTrue(gateway.waitFor(10, TimeUnit.SECONDS));
        assertEquals(1, Sql.count("SELECT count(*) FROM mqtt_session WHERE client_id = ?", expiring),
                "the session expired before the gateway went down: nothing left to test");
        // The expiry is measured in wall-clock time while nothing runs: there is nothing to wait on but the clock.
        long left = TimeUnit.SECONDS.toNanos(4) - (System.nanoTime() - disconnected);
        if (left > 0) {
            Thread.sleep(TimeUnit.NANOSECONDS.toMillis(left));
        }
        gateway = startGateway();

        try (RawMqttClient a = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, expiring, false,
                sessionExpiry(300))) {
            assertFalse(a.connAck().variableHeader().isSessionPresent(), "expired while the gateway was down");
            a.expectNothing(Duration.ofSeconds(1));
        }
        try (RawMqttClient b = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, lasting, false,
                sessionExpiry(300))) {
            assertTrue(b.connAck().variableHeader().isSessionPresent(), "300 s have not passed");
            MqttPublishMessage p = b.expect(MqttMessageType.PUBLISH);
            assertEquals("old", RawMqttClient.payload(p));
            b.ack(MqttMessageType.PUBACK, p.variableHeader().packetId());
        }
    }

    // ---- d) delayed will across a restart ----------------------------------------------------------------------

    @Test
    void delayedWillIsPublishedByTheRestartedGateway() throws Exception {
        int willDelay = 8;
        String watcher = "it-will-watcher";
        String dying = "it-will-client";
        String expiring = "it-will-expiring";
        // A persistent watcher: the will reaches it whether it fires before or after the watcher is back.
        try (RawMqttClient w = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, watcher, true,
                sessionExpiry(300))) {
            w.subscribe(1, "will/it", 1);
            w.disconnect();
        }
        RawMqttClient client = connectWithWill(dying, 60, props(intProp(WILL_DELAY_INTERVAL, willDelay),
                stringProp(CONTENT_TYPE, "text/plain"), new MqttProperties.UserProperty("reason", "gone")), "offline");
        // Its session ends while the gateway is down, long before its will delay: the restart owes the will at once.
        RawMqttClient shortLived = connectWithWill(expiring, 3, props(intProp(WILL_DELAY_INTERVAL, 60)), "expired");
        client.kill();
        shortLived.kill();
        long died = System.nanoTime();
        await().atMost(Duration.ofSeconds(10)).until(() -> Sql.count("SELECT count(*) FROM mqtt_session "
                + "WHERE client_id IN (?, ?) AND will_topic = 'will/it'", dying, expiring) == 2);
        // The watcher's row written again, so that recovery meets it after the sessions whose wills it is owed.
        Object before = Sql.row("SELECT disconnected_at FROM mqtt_session WHERE client_id = ?", watcher)
                .get("disconnected_at");
        RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, watcher, false, sessionExpiry(300)).disconnect();
        await().atMost(Duration.ofSeconds(10)).until(() -> !before.equals(Sql.row(
                "SELECT disconnected_at FROM mqtt_session WHERE client_id = ?", watcher).get("disconnected_at")));

        gateway.destroyForcibly();
        assertTrue(gateway.waitFor(10, TimeUnit.SECONDS));
        gateway = startGateway();
        long restartedAfter = System.nanoTime() - died;

        try (RawMqttClient w = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, watcher, false,
                sessionExpiry(300))) {
            MqttMessage first = w.poll(Duration.ofSeconds(10));
            assertNotNull(first, "the will of a session that expired while the gateway was down was lost");
            assertEquals("expired", RawMqttClient.payload((MqttPublishMessage) first));
            w.ack(MqttMessageType.PUBACK, ((MqttPublishMessage) first).variableHeader().packetId());

            MqttMessage m = w.poll(Duration.ofSeconds(willDelay + 10));
            assertNotNull(m, "the delayed will was lost in the restart");
            long arrivedAfter = System.nanoTime() - died;
            MqttPublishMessage will = (MqttPublishMessage) m;
            assertEquals("offline", RawMqttClient.payload(will));
            assertEquals("text/plain", property(will, CONTENT_TYPE));
            assertEquals("gone", userProperty(will, "reason"));
            w.ack(MqttMessageType.PUBACK, will.variableHeader().packetId());
            if (restartedAfter < TimeUnit.SECONDS.toNanos(willDelay - 1)) {
                assertTrue(arrivedAfter >= TimeUnit.SECONDS.toNanos(willDelay) - TimeUnit.MILLISECONDS.toNanos(500),
                        "the will came " + TimeUnit.NANOSECONDS.toMillis(arrivedAfter) + " ms after the client died, "
                                + "before its delay of " + willDelay + " s");
            }
            w.expectNothing(Duration.ofMillis(500));
        }
        // Published once: a later restart must not send it again.
        await().atMost(Duration.ofSeconds(10)).until(() -> Sql.count("SELECT count(*) FROM mqtt_session "
                + "WHERE client_id IN (?, ?) AND will_topic IS NOT NULL", dying, expiring) == 0);
    }

    private RawMqttClient connectWithWill(String clientId, int sessionExpiry, MqttProperties willProps,
                                          String payload) throws InterruptedException {
        RawMqttClient client = RawMqttClient.open(mqttPort);
        client.send(MqttMessageBuilders.connect().protocolVersion(MqttVersion.MQTT_5).clientId(clientId)
                .cleanSession(true).keepAlive(60).properties(sessionExpiry(sessionExpiry)).willFlag(true)
                .willTopic("will/it").willMessage(payload.getBytes(StandardCharsets.UTF_8))
                .willQoS(MqttQoS.AT_LEAST_ONCE).willProperties(willProps).build());
        MqttConnAckMessage ack = client.expect(MqttMessageType.CONNACK);
        assertEquals(0, ack.variableHeader().connectReturnCode().byteValue());
        return client;
    }

    @Test
    void gracefulShutdownStoresTheDelayedWillOfAConnectedClient() throws Exception {
        String watcher = "it-will2-watcher";
        String connected = "it-will2-client";
        try (RawMqttClient w = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, watcher, true,
                sessionExpiry(300))) {
            w.subscribe(1, "will2/it", 1);
            w.disconnect();
        }
        RawMqttClient client = RawMqttClient.open(mqttPort);
        client.send(MqttMessageBuilders.connect().protocolVersion(MqttVersion.MQTT_5).clientId(connected)
                .cleanSession(true).keepAlive(60).properties(sessionExpiry(60)).willFlag(true)
                .willTopic("will2/it").willMessage("bye".getBytes(StandardCharsets.UTF_8))
                .willQoS(MqttQoS.AT_LEAST_ONCE).willProperties(props(intProp(WILL_DELAY_INTERVAL, 3))).build());
        client.expect(MqttMessageType.CONNACK);

        // Shutting down closes the client's connection without its DISCONNECT: the will is armed, and the last
        // writes of the stopping gateway are what keeps it.
        gateway.destroy();
        assertTrue(gateway.waitFor(30, TimeUnit.SECONDS), "the gateway did not stop on SIGTERM");
        client.close();
        assertEquals(1, Sql.count("SELECT count(*) FROM mqtt_session WHERE client_id = ? "
                + "AND will_topic = 'will2/it' AND disconnected_at IS NOT NULL", connected));

        gateway = startGateway();
        try (RawMqttClient w = RawMqttClient.connect(mqttPort, MqttVersion.MQTT_5, watcher, false,
                sessionExpiry(300))) {
            MqttMessage m = w.poll(Duration.ofSeconds(15));
            assertNotNull(m, "the will of a client connected at shutdown was lost");
            assertEquals("bye", RawMqttClient.payload((MqttPublishMessage) m));
            w.ack(MqttMessageType.PUBACK, ((MqttPublishMessage) m).variableHeader().packetId());
        }
    }

    // ---- the gateway process ----------------------------------------------------------------------------------

    private Process startGateway() throws Exception {
        Path log = LOGS.resolve(testName + "-" + (started.size() + 1) + ".log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", APP.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Map<String, String> env = pb.environment();
        env.put("QUARKUS_DATASOURCE_JDBC_URL", EmbeddedPostgres.get().jdbcUrl());
        env.put("QUARKUS_DATASOURCE_USERNAME", EmbeddedPostgres.USER);
        env.put("QUARKUS_DATASOURCE_PASSWORD", "");
        env.put("CONDUIT_MQTT_HOST", "127.0.0.1");
        env.put("CONDUIT_MQTT_PORT", String.valueOf(mqttPort));
        env.put("CONDUIT_MQTT_WS_PORT", "-1");
        env.put("QUARKUS_HTTP_PORT", String.valueOf(httpPort));
        env.put("CONDUIT_PERSISTENCE_MEMORY_WINDOW", String.valueOf(MEMORY_WINDOW));
        // The packaged gateway refuses anonymous clients by default; these clients test persistence, not login.
        env.put("CONDUIT_SECURITY_ALLOW_ANONYMOUS", "true");
        env.put("CONDUIT_SECURITY_ADMIN_PASSWORD", ADMIN_PASSWORD);
        Process p = pb.start();
        started.add(p);
        ALL.add(p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            if (!p.isAlive()) {
                fail("the gateway exited with " + p.exitValue() + ":\n" + Files.readString(log));
            }
            // The listener opens after recovery, so a connection accepted means the sessions are back.
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", mqttPort), 500);
                return p;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    fail("the gateway did not listen on " + mqttPort + " within 60 s:\n" + Files.readString(log));
                }
                Thread.sleep(100);
            }
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static MqttProperties sessionExpiry(int seconds) {
        return props(intProp(SESSION_EXPIRY_INTERVAL, seconds));
    }

    private static int packetId(MqttMessage m) {
        Object h = m.variableHeader();
        if (h instanceof MqttPublishVariableHeader p) {
            return p.packetId();
        }
        if (h instanceof MqttPubReplyMessageVariableHeader r) {
            return r.messageId();
        }
        return ((MqttMessageIdVariableHeader) h).messageId();
    }

    private static String userProperty(MqttPublishMessage p, String key) {
        for (MqttProperties.MqttProperty<?> prop : p.variableHeader().properties()
                .getProperties(USER_PROPERTY.value())) {
            if (prop instanceof MqttProperties.UserProperties all) {
                for (MqttProperties.StringPair pair : all.value()) {
                    if (pair.key.equals(key)) {
                        return pair.value;
                    }
                }
            } else if (prop instanceof MqttProperties.UserProperty one && one.value().key.equals(key)) {
                return one.value().value;
            }
        }
        return null;
    }

    /** Sequence numbers as ranges (1-120, 122), so that a failure message stays readable. */
    private static String summary(Map<String, ? extends java.util.Collection<Integer>> byTopic) {
        StringBuilder out = new StringBuilder("{");
        byTopic.forEach((topic, seqs) -> {
            out.append(topic).append('=').append(ranges(seqs)).append(' ');
        });
        return out.append('}').toString();
    }

    private static String ranges(java.util.Collection<Integer> seqs) {
        List<Integer> list = seqs instanceof List<Integer> l ? l : new ArrayList<>(new TreeSet<>(seqs));
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < list.size(); ) {
            int j = i;
            while (j + 1 < list.size() && list.get(j + 1) == list.get(j) + 1) {
                j++;
            }
            out.append(out.length() == 0 ? "" : ",").append(list.get(i));
            if (j > i) {
                out.append('-').append(list.get(j));
            }
            i = j + 1;
        }
        return "[" + out + "]";
    }
}
