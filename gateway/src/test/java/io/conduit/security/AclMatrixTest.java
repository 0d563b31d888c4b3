package io.conduit.security;

import io.conduit.mqtt.MqttServer;
import io.conduit.session.SessionRegistry;
import io.conduit.testing.AclFiles;
import io.conduit.testing.RawMqttClient;
import io.conduit.testing.Wire;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.WILL_DELAY_INTERVAL;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ACL as real MQTT clients meet it, 3.1.1 and 5.0 side by side: which PUBLISH, SUBSCRIBE and will is let
 * through, with which reason code, and which messages reach a subscriber (delivery-time read checks, retained
 * messages, shared subscriptions, offline queues, $SYS). 3.1.1 publishers are disconnected on a denied publish
 * ({@code acl-deny-action-v3=disconnect}); {@link AclTest} covers the default, drop.
 */
@QuarkusTest
@TestProfile(AclMatrixTest.Profile.class)
class AclMatrixTest {

    static final String ACL = """
            # Conduit ACL for AclMatrixTest
            default: deny
            groups:
              readers: [client:reader-1, user:reader]
            rules:
              - deny: publish
                topic: devices/%c/locked
              - allow: all
                topic: devices/%c/#
              - allow: all
                topic: users/%u/#
              - deny: subscribe
                topic: feed/secret
              - deny: subscribe
                topic: feed/+/private
              - allow: subscribe
                topic: feed/#
              - allow: [publish, retain]
                topic: feed/#
                to: client:feeder
              - allow: subscribe
                topic: reports/#
                to: group:readers
              - allow: [publish, retain]
                topic: reports/#
              - allow: [publish, subscribe]
                topic: noretain/#
              - allow: [publish, subscribe]
                topic: slow/#
                max-qos: 1
              - allow: all
                topic: wills/#
              - deny: subscribe
                topic: jobs/secret
                to: client:worker-b
              - allow: [publish, subscribe]
                topic: jobs/#
              - deny: subscribe
                topic: $SYS/broker/bytes/#
              - allow: subscribe
                topic: $SYS/#
              - allow: subscribe
                topic: '#'
                to: client:watcher
            """;
    static final int RULES = 17;

    public static class Profile implements QuarkusTestProfile {

        static final Path FILE = AclFiles.write("conduit-acl-matrix-", ACL);

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("conduit.security.acl-file", FILE.toString(),
                    "conduit.security.acl-deny-action-v3", "disconnect");
        }
    }

    @Inject
    MqttServer server;

    @Inject
    AclAuthorizer acl;

    @Inject
    SessionRegistry sessions;

    private static String tag(MqttVersion v) {
        return v == MqttVersion.MQTT_5 ? "5" : "311";
    }

    private RawMqttClient connect(MqttVersion v, String clientId, String username) throws InterruptedException {
        MqttMessageBuilders.ConnectBuilder b = Wire.connect(v, clientId, true, 60, null);
        if (username != null) {
            b.hasUser(true).username(username);
        }
        return Wire.open(server.tcpPort(), b).client();
    }

    /** A 5.0 client allowed to read everything but what deny rules for all withhold, its retained burst drained. */
    private RawMqttClient watcher() throws InterruptedException {
        RawMqttClient w = connect(MqttVersion.MQTT_5, "watcher", null);
        assertEquals(List.of(2), Wire.subscribe(w, 1, 2, "#"));
        Wire.untilPingResp(w);
        return w;
    }

    /** Topics of every PUBLISH that arrives before a PINGRESP, acknowledging QoS 1 ones. */
    private static List<String> received(RawMqttClient c) {
        List<String> topics = new ArrayList<>();
        for (MqttPublishMessage p : Wire.publishesUntilPingResp(c)) {
            topics.add(Wire.topic(p));
            if (p.fixedHeader().qosLevel() == MqttQoS.AT_LEAST_ONCE) {
                c.ack(MqttMessageType.PUBACK, Wire.packetId(p));
            }
        }
        return topics;
    }

    // ----------------------------------------------------------------------------------------------- publish

    record Publish(String name, String clientId, String username, String topic, int qos, boolean retain,
                   boolean allowed) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> publishes() {
        List<Publish> cases = List.of(
                new Publish("%c: own tree", "d1", null, "devices/d1/x", 1, false, true),
                new Publish("%c: another client's tree", "d1", null, "devices/d2/x", 1, false, false),
                new Publish("deny before allow overrides it", "d1", null, "devices/d1/locked", 1, false, false),
                new Publish("client id with / matches no %c rule", "a/b", null, "devices/a/b/x", 1, false, false),
                new Publish("%u: own tree", "u1", "alice", "users/alice/x", 1, false, true),
                new Publish("%u: another user's tree", "u1", "alice", "users/bob/x", 1, false, false),
                new Publish("username with / matches no %u rule", "u2", "a/b", "users/a/b/x", 1, false, false),
                new Publish("no username matches no %u rule", "u3", null, "users/null/x", 1, false, false),
                new Publish("retain needs its own permission", "n1", null, "noretain/x", 1, true, false),
                new Publish("the same without RETAIN", "n1", null, "noretain/x", 1, false, true),
                new Publish("allow all includes retain", "d1", null, "devices/d1/kept", 1, true, true),
                new Publish("QoS at the rule's limit", "s1", null, "slow/x", 1, false, true),
                new Publish("QoS above the rule's limit", "s1", null, "slow/x", 2, false, false),
                new Publish("QoS 2 allowed", "d1", null, "devices/d1/q2", 2, false, true),
                new Publish("$SYS is the broker's", "d1", null, "$SYS/broker/x", 1, false, false),
                new Publish("no rule: default deny", "d1", null, "other/x", 1, false, false));
        return Stream.of(MqttVersion.MQTT_3_1_1, MqttVersion.MQTT_5)
                .flatMap(v -> cases.stream().map(c -> Arguments.of(v, c)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("publishes")
    void publish(MqttVersion v, Publish p) throws Exception {
        try (RawMqttClient w = watcher(); RawMqttClient c = connect(v, p.clientId(), p.username())) {
            String topic = p.topic();
            c.publish(topic, "m", p.qos(), p.retain(), 7, null);
            if (!p.allowed() && v != MqttVersion.MQTT_5) {
                assertTrue(c.awaitClosed(Duration.ofSeconds(5)), "3.1.1 publisher disconnected");
                Wire.expectNothingPending(w);
                return;
            }
            MqttMessage ack = c.expect(p.qos() == 1 ? MqttMessageType.PUBACK : MqttMessageType.PUBREC);
            int code = RawMqttClient.reasonCode(ack);
            if (!p.allowed()) {
                assertEquals(0x87, code, "Not authorized");
                Wire.expectNothingPending(w);
                return;
            }
            assertTrue(code < 0x80, "accepted, reason code " + code);
            if (p.qos() == 2) {
                c.ack(MqttMessageType.PUBREL, 7);
                c.expect(MqttMessageType.PUBCOMP);
            }
            assertEquals(List.of(topic), received(w));
            if (p.retain()) {
                // Leave no retained message behind for later subscribers of '#'.
                c.publish(topic, "", 0, true, 0, null);
            }
        }
    }

    // --------------------------------------------------------------------------------------------- subscribe

    record Subscribe(String name, String clientId, String username, String filter, int qos, boolean granted) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> subscribes() {
        List<Subscribe> cases = List.of(
                new Subscribe("%c: own tree", "d1", null, "devices/d1/#", 1, true),
                new Subscribe("%c: wildcard over other clients", "d1", null, "devices/+/x", 1, false),
                new Subscribe("%c: beyond the own tree", "d1", null, "devices/#", 1, false),
                new Subscribe("client id + matches no %c rule", "+", null, "devices/+/x", 1, false),
                new Subscribe("client id # matches no %c rule", "#", null, "devices/#", 1, false),
                new Subscribe("client id with / matches no %c rule", "a/b", null, "devices/a/b/#", 1, false),
                new Subscribe("%u: own tree", "u1", "alice", "users/alice/#", 1, true),
                new Subscribe("username + matches no %u rule", "u4", "+", "users/+/inbox", 1, false),
                new Subscribe("username # matches no %u rule", "u5", "#", "users/#", 1, false),
                new Subscribe("filter overlapping denied topics is granted", "f1", null, "feed/#", 1, true),
                new Subscribe("single-level wildcard over a denied topic", "f1", null, "feed/+", 1, true),
                new Subscribe("the denied topic itself", "f1", null, "feed/secret", 1, false),
                new Subscribe("a topic a denied wildcard covers", "f1", null, "feed/a/private", 1, false),
                new Subscribe("the denied wildcard itself", "f1", null, "feed/+/private", 1, false),
                new Subscribe("beyond every allow rule", "f1", null, "#", 1, false),
                new Subscribe("group member by client id", "reader-1", null, "reports/#", 1, true),
                new Subscribe("group member by username", "r2", "reader", "reports/+", 1, true),
                new Subscribe("not in the group", "outsider", "guest", "reports/#", 1, false),
                new Subscribe("QoS at the rule's limit", "s1", null, "slow/#", 1, true),
                new Subscribe("QoS above the rule's limit", "s1", null, "slow/#", 2, false),
                new Subscribe("shared: ACL applies to the filter", "f1", null, "$share/g/feed/#", 1, true),
                new Subscribe("shared: denied filter", "f1", null, "$share/g/feed/secret", 1, false),
                new Subscribe("$SYS granted by a $SYS rule", "f1", null, "$SYS/#", 0, true),
                new Subscribe("$SYS part denied", "f1", null, "$SYS/broker/bytes/#", 0, false),
                new Subscribe("deny for one client only", "worker-b", null, "jobs/secret", 1, false),
                new Subscribe("others unaffected", "worker-a", null, "jobs/secret", 1, true));
        return Stream.of(MqttVersion.MQTT_3_1_1, MqttVersion.MQTT_5)
                .flatMap(v -> cases.stream().map(c -> Arguments.of(v, c)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("subscribes")
    void subscribe(MqttVersion v, Subscribe s) throws Exception {
        // Client ids keep their exact value here (placeholders and principals see them); one version at a time.
        try (RawMqttClient c = connect(v, s.clientId(), s.username())) {
            int refused = v == MqttVersion.MQTT_5 ? 0x87 : 0x80;
            assertEquals(List.of(s.granted() ? s.qos() : refused), Wire.subscribe(c, 1, s.qos(), s.filter()));
        }
    }

    // ---------------------------------------------------------------------------------------------- delivery

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void deliveryWithholdsTopicsTheSubscriberMayNotRead(MqttVersion v) throws Exception {
        String t = tag(v);
        try (RawMqttClient sub = connect(v, "fsub-" + t, null); RawMqttClient feeder = connect(MqttVersion.MQTT_5,
                "feeder", null)) {
            assertEquals(List.of(1, 1), Wire.subscribe(sub, 1, 1, "feed/live-" + t + "/#", "feed/+"));
            Wire.untilPingResp(sub);
            for (String topic : List.of("feed/live-" + t + "/open", "feed/live-" + t + "/private", "feed/secret",
                    "feed/public", "feed/live-" + t + "/x/private")) {
                Wire.publishRouted(feeder, topic, "m", 1, false);
            }
            assertEquals(List.of("feed/live-" + t + "/open", "feed/public", "feed/live-" + t + "/x/private"),
                    received(sub));
        }
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void retainedMessagesAreCheckedOneByOne(MqttVersion v) throws Exception {
        String t = tag(v);
        try (RawMqttClient feeder = connect(MqttVersion.MQTT_5, "feeder", null)) {
            for (String topic : List.of("feed/kept-" + t + "/open", "feed/kept-" + t + "/private", "feed/secret")) {
                Wire.publishRouted(feeder, topic, "r", 1, true);
            }
        }
        try (RawMqttClient sub = connect(v, "rsub-" + t, null)) {
            assertEquals(List.of(1), Wire.subscribe(sub, 1, 1, "feed/#"));
            Set<String> got = new TreeSet<>(received(sub));
            assertTrue(got.contains("feed/kept-" + t + "/open"), got.toString());
            assertFalse(got.contains("feed/kept-" + t + "/private"), got.toString());
            assertFalse(got.contains("feed/secret"), got.toString());
        }
    }

    @Test
    void sysMessagesAreCheckedLikeAnyOther() throws Exception {
        try (RawMqttClient sub = connect(MqttVersion.MQTT_5, "sys-reader", null)) {
            assertEquals(List.of(0), Wire.subscribe(sub, 1, 0, "$SYS/#"));
            // The $SYS tree is retained: the burst after SUBACK shows what the subscriber may see, once the first
            // publication (conduit.sys.interval after start) has been made; until then later ones arrive live.
            Set<String> got = new TreeSet<>(received(sub));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!got.contains("$SYS/broker/uptime") && System.nanoTime() < deadline) {
                Thread.sleep(200);
                got.addAll(received(sub));
            }
            assertTrue(got.contains("$SYS/broker/uptime"), got.toString());
            assertTrue(got.stream().noneMatch(topic -> topic.startsWith("$SYS/broker/bytes/")), got.toString());
        }
    }

    @Test
    void aSharedGroupSendsEachMessageToAMemberThatMayReadIt() throws Exception {
        try (RawMqttClient a = connect(MqttVersion.MQTT_5, "worker-a", null);
             RawMqttClient b = connect(MqttVersion.MQTT_5, "worker-b", null);
             RawMqttClient pub = connect(MqttVersion.MQTT_5, "job-publisher", null)) {
            assertEquals(List.of(1), Wire.subscribe(a, 1, 1, "$share/g/jobs/#"));
            assertEquals(List.of(1), Wire.subscribe(b, 1, 1, "$share/g/jobs/#"));
            for (int i = 1; i <= 4; i++) {
                Wire.publishRouted(pub, "jobs/secret", "s" + i, i, false);
            }
            for (int i = 1; i <= 4; i++) {
                Wire.publishRouted(pub, "jobs/open", "o" + i, 10 + i, false);
            }
            List<String> toA = received(a);
            List<String> toB = received(b);
            assertFalse(toB.contains("jobs/secret"), toB.toString());
            assertEquals(4, toA.stream().filter("jobs/secret"::equals).count(), toA.toString());
            assertEquals(4, toA.stream().filter("jobs/open"::equals).count()
                    + toB.stream().filter("jobs/open"::equals).count());
            assertTrue(toB.contains("jobs/open"), "round robin still reaches worker-b: " + toB);
        }
    }

    @Test
    void anOfflineSessionQueuesOnlyWhatItMayRead() throws Exception {
        Wire.Connected first = Wire.open(server.tcpPort(), Wire.connect(MqttVersion.MQTT_5, "offline-sub", true, 60,
                Wire.props(SESSION_EXPIRY_INTERVAL, 60)));
        assertEquals(List.of(1), Wire.subscribe(first.client(), 1, 1, "feed/+"));
        first.client().disconnect();
        try (RawMqttClient feeder = connect(MqttVersion.MQTT_5, "feeder", null)) {
            Wire.publishRouted(feeder, "feed/secret", "queued?", 1, false);
            Wire.publishRouted(feeder, "feed/queued", "queued", 2, false);
        }
        Wire.Connected again = Wire.open(server.tcpPort(), Wire.connect(MqttVersion.MQTT_5, "offline-sub", false, 60,
                Wire.props(SESSION_EXPIRY_INTERVAL, 0)));
        try (RawMqttClient c = again.client()) {
            assertTrue(again.sessionPresent());
            assertEquals(List.of("feed/queued"), received(c));
        }
    }

    @Test
    void explainSaysWhichTopicsAreWithheld() {
        given().auth().preemptive().basic("admin", "test-admin-password")
                .queryParam("client", "f1").queryParam("topic", "feed/#").queryParam("action", "subscribe")
                .get("/api/v1/acl/explain").then().statusCode(200)
                .body("decision", equalTo("allow"))
                .body("reason", equalTo("first matching rule at line 16; messages on topics denied by the rules at "
                        + "line 12, 14 are not delivered"));
        given().auth().preemptive().basic("admin", "test-admin-password")
                .queryParam("client", "f1").queryParam("topic", "feed/a/private").queryParam("action", "subscribe")
                .get("/api/v1/acl/explain").then().statusCode(200)
                .body("decision", equalTo("deny"))
                .body("rule.line", equalTo(14));
    }

    // ------------------------------------------------------------------------------------------------- wills

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void aRetainedWillNeedsTheRetainPermission(MqttVersion v) throws Exception {
        try (RawMqttClient c = RawMqttClient.open(server.tcpPort())) {
            c.send(Wire.connect(v, "will-retain-" + tag(v), true, 60, null).willFlag(true).willTopic("noretain/w")
                    .willMessage("bye").willQoS(MqttQoS.AT_LEAST_ONCE).willRetain(true).build());
            MqttConnAckMessage ack = c.expect(MqttMessageType.CONNACK);
            assertEquals(v == MqttVersion.MQTT_5 ? 0x87 : 0x05,
                    ack.variableHeader().connectReturnCode().byteValue() & 0xFF);
        }
        // Without the retain flag the same will is fine.
        Wire.open(server.tcpPort(), Wire.connect(v, "will-retain-" + tag(v), true, 60, null).willFlag(true)
                .willTopic("noretain/w").willMessage("bye").willQoS(MqttQoS.AT_LEAST_ONCE)).client().close();
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void aWillIsCheckedAgainWhenItIsPublished(MqttVersion v) throws Exception {
        String t = tag(v);
        try (RawMqttClient w = watcher()) {
            Wire.Connected kept = Wire.open(server.tcpPort(), willConnect(v, "will-kept-" + t, "wills/kept/" + t, 0));
            Wire.Connected revoked = Wire.open(server.tcpPort(),
                    willConnect(v, "will-revoked-" + t, "wills/revoked/" + t, 0));
            // 5.0: a delayed will, published by the session's timer (the session ends with the delay).
            Wire.Connected delayed = v != MqttVersion.MQTT_5 ? null : Wire.open(server.tcpPort(),
                    willConnect(v, "will-delayed", "wills/revoked/delayed", 1));
            try {
                reloadWith("""
                          - deny: publish
                            topic: wills/revoked/#
                        """);
                revoked.client().kill();
                // A session ends only after its will went out (or was refused).
                await().atMost(Duration.ofSeconds(5)).until(() -> sessions.get("will-revoked-" + t) == null);
                if (delayed != null) {
                    delayed.client().kill();
                    await().atMost(Duration.ofSeconds(5)).until(() -> sessions.get("will-delayed") == null);
                }
                Wire.expectNothingPending(w);
                kept.client().kill();
                MqttPublishMessage will = w.expect(MqttMessageType.PUBLISH);
                assertEquals("wills/kept/" + t, Wire.topic(will));
                Wire.expectNothingPending(w);
            } finally {
                reloadWith("");
            }
        }
    }

    private static MqttMessageBuilders.ConnectBuilder willConnect(MqttVersion v, String clientId, String topic,
                                                                  int delay) {
        MqttMessageBuilders.ConnectBuilder b = Wire.connect(v, clientId, true, 60,
                delay > 0 ? Wire.props(SESSION_EXPIRY_INTERVAL, delay) : null)
                .willFlag(true).willTopic(topic).willMessage("bye").willQoS(MqttQoS.AT_LEAST_ONCE);
        if (delay > 0) {
            b.willProperties(Wire.props(WILL_DELAY_INTERVAL, delay));
        }
        return b;
    }

    /** Puts {@code extra} rules in front of the file's rules and waits until the broker has loaded them. */
    private void reloadWith(String extra) throws IOException {
        int expected = RULES + (int) extra.lines().filter(l -> l.trim().startsWith("- ")).count();
        Files.writeString(Profile.FILE, ACL.replace("rules:\n", "rules:\n" + extra));
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            acl.reloadIfChanged();
            return acl.state().rules().rules().size() == expected;
        });
    }
}
