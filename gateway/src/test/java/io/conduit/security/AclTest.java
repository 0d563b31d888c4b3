package io.conduit.security;

import io.conduit.mqtt.MqttServer;
import io.conduit.testing.AclFiles;
import io.conduit.testing.RawMqttClient;
import io.conduit.testing.Wire;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttMessage;
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
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.conduit.testing.AdminApi.admin;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Topic ACLs enforced by the broker on real MQTT connections (3.1.1 and 5.0), the admin endpoints, and reload. */
@QuarkusTest
@TestProfile(AclTest.AclProfile.class)
class AclTest {

    static final String ACL = """
            # Conduit ACL for AclTest
            default: deny
            groups:
              ops: [client:ops-1, user:operator]
            rules:
              - deny: subscribe
                topic: test/nosubscribe
              - deny: publish
                topic: devices/%c/locked
              - allow: all
                topic: devices/%c/#
              - allow: [publish, subscribe]
                topic: fleet/#
                to: group:ops
              - allow: publish
                topic: status/#
              - allow: [publish, retain]
                topic: config/#
              - allow: publish
                topic: telemetry/#
                max-qos: 1
              - allow: subscribe
                topic: jobs/#
              - allow: subscribe
                topic: '#'
                to: client:watcher
            """;

    /** One broker for every ACL test, with its ACL file in a temporary folder. */
    public static class AclProfile implements QuarkusTestProfile {

        static final Path FILE = AclFiles.write("conduit-acl-", ACL);

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("conduit.security.acl-file", FILE.toString());
        }
    }

    @Inject
    MqttServer server;

    private static String tag(MqttVersion v) {
        return v == MqttVersion.MQTT_5 ? "5" : "311";
    }

    private RawMqttClient connect(MqttVersion v, String clientId) throws InterruptedException {
        return RawMqttClient.connect(server.tcpPort(), v, clientId, true, null);
    }

    private RawMqttClient connect(MqttVersion v, String clientId, String username) throws InterruptedException {
        return Wire.open(server.tcpPort(), Wire.connect(v, clientId, true, 60, null).hasUser(true).username(username))
                .client();
    }

    /** A client allowed to subscribe to everything but test/nosubscribe, to see what gets through. */
    private RawMqttClient watcher(String filter) throws InterruptedException {
        RawMqttClient w = connect(MqttVersion.MQTT_5, "watcher");
        assertEquals(List.of(1), Wire.subscribe(w, 1, 1, filter));
        return w;
    }

    /** Publishes at QoS 1 and returns the PUBACK reason code (always 0 for 3.1.1, which has none). */
    private static int publishQos1(RawMqttClient c, String topic, boolean retain, int packetId) {
        c.publish(topic, "m", 1, retain, packetId, null);
        MqttMessage ack = c.expect(MqttMessageType.PUBACK);
        assertEquals(packetId, Wire.packetId(ack));
        return RawMqttClient.reasonCode(ack);
    }

    private static void assertReceived(RawMqttClient w, String topic) {
        MqttPublishMessage p = w.expect(MqttMessageType.PUBLISH);
        assertEquals(topic, Wire.topic(p));
    }

    // ------------------------------------------------------------------------------------------------ publish

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void placeholdersLetAClientPublishUnderItsOwnIdOnly(MqttVersion v) throws Exception {
        String id = "d1-" + tag(v);
        try (RawMqttClient w = watcher("devices/#"); RawMqttClient c = connect(v, id)) {
            assertEquals(0, publishQos1(c, "devices/" + id + "/x", false, 1));
            assertReceived(w, "devices/" + id + "/x");

            int code = publishQos1(c, "devices/d2-" + tag(v) + "/x", false, 2);
            assertEquals(v == MqttVersion.MQTT_5 ? 0x87 : 0, code);
            Wire.expectNothingPending(w);
        }
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void aDenyOverridesALaterAllow(MqttVersion v) throws Exception {
        String id = "locked-" + tag(v);
        try (RawMqttClient w = watcher("devices/#"); RawMqttClient c = connect(v, id)) {
            int code = publishQos1(c, "devices/" + id + "/locked", false, 1);
            assertEquals(v == MqttVersion.MQTT_5 ? 0x87 : 0, code);
            // QoS 2 refused at PUBREC on 5.0.
            c.publish("devices/" + id + "/locked", "m", 2, false, 2, null);
            MqttMessage rec = c.expect(MqttMessageType.PUBREC);
            assertEquals(v == MqttVersion.MQTT_5 ? 0x87 : 0, RawMqttClient.reasonCode(rec));
            Wire.expectNothingPending(w);
        }
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void groupRulesApplyToMembersByClientIdOrUsername(MqttVersion v) throws Exception {
        try (RawMqttClient w = watcher("fleet/#")) {
            try (RawMqttClient byId = connect(v, "ops-1");
                 RawMqttClient byUser = connect(v, "console-" + tag(v), "operator");
                 RawMqttClient outsider = connect(v, "outsider-" + tag(v), "guest")) {
                assertEquals(0, publishQos1(byId, "fleet/a", false, 1));
                assertReceived(w, "fleet/a");
                assertEquals(0, publishQos1(byUser, "fleet/b", false, 1));
                assertReceived(w, "fleet/b");
                assertEquals(v == MqttVersion.MQTT_5 ? 0x87 : 0, publishQos1(outsider, "fleet/c", false, 1));
                assertEquals(List.of(v == MqttVersion.MQTT_5 ? 0x87 : 0x80), Wire.subscribe(outsider, 2, 0, "fleet/#"));
                assertEquals(List.of(0), Wire.subscribe(byUser, 2, 0, "fleet/+"));
                Wire.expectNothingPending(w);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void retainedPublishNeedsTheRetainPermission(MqttVersion v) throws Exception {
        String t = tag(v);
        try (RawMqttClient w = watcher("status/#"); RawMqttClient c = connect(v, "retainer-" + t)) {
            // status/#: publish only. A retained message is refused and not stored.
            assertEquals(v == MqttVersion.MQTT_5 ? 0x87 : 0, publishQos1(c, "status/" + t, true, 1));
            assertEquals(0, publishQos1(c, "status/" + t, false, 2));
            assertReceived(w, "status/" + t);
            Wire.expectNothingPending(w);
            // config/#: publish and retain.
            assertEquals(v == MqttVersion.MQTT_5 ? 0x10 : 0, publishQos1(c, "config/" + t, true, 3));
        }
        try (RawMqttClient late = connect(MqttVersion.MQTT_5, "watcher")) {
            assertEquals(List.of(1), Wire.subscribe(late, 1, 1, "status/" + t));
            Wire.expectNothingPending(late);
            assertEquals(List.of(1), Wire.subscribe(late, 2, 1, "config/" + t));
            MqttPublishMessage retained = late.expect(MqttMessageType.PUBLISH);
            assertEquals("config/" + t, Wire.topic(retained));
        }
    }

    @Test
    void qosAboveTheRulesLimitIsRefused() throws Exception {
        try (RawMqttClient c = connect(MqttVersion.MQTT_5, "qos-limit")) {
            assertEquals(0x10, publishQos1(c, "telemetry/a", false, 1));
            c.publish("telemetry/a", "m", 2, false, 2, null);
            assertEquals(0x87, RawMqttClient.reasonCode(c.expect(MqttMessageType.PUBREC)));
        }
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void willOnADeniedTopicIsRefusedAtConnect(MqttVersion v) throws Exception {
        String id = "will-" + tag(v);
        try (RawMqttClient c = RawMqttClient.open(server.tcpPort())) {
            c.send(Wire.connect(v, id, true, 60, null).willFlag(true).willTopic("forbidden/will")
                    .willMessage("bye").willQoS(MqttQoS.AT_LEAST_ONCE).build());
            MqttConnAckMessage ack = c.expect(MqttMessageType.CONNACK);
            assertEquals(v == MqttVersion.MQTT_5 ? 0x87 : 0x05,
                    ack.variableHeader().connectReturnCode().byteValue() & 0xFF);
            c.awaitClosed(Duration.ofSeconds(5));
        }
        // A will under the client's own tree is fine.
        Wire.open(server.tcpPort(), Wire.connect(v, id, true, 60, null).willFlag(true)
                .willTopic("devices/" + id + "/will").willMessage("bye").willQoS(MqttQoS.AT_LEAST_ONCE))
                .client().close();
    }

    // ---------------------------------------------------------------------------------------------- subscribe

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void noSubscribeIsRefused(MqttVersion v) throws Exception {
        try (RawMqttClient c = connect(v, "nosub-" + tag(v))) {
            // 3.1.1 has only 0x80; 5.0 answers Not authorized (the Paho v5 interop test expects 0x80: see README).
            assertEquals(List.of(v == MqttVersion.MQTT_5 ? 0x87 : 0x80, 1),
                    Wire.subscribe(c, 1, 1, "test/nosubscribe", "jobs/a"));
        }
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void subscribeFiltersMustStayWithinTheRule(MqttVersion v) throws Exception {
        int denied = v == MqttVersion.MQTT_5 ? 0x87 : 0x80;
        String id = "sub-" + tag(v);
        try (RawMqttClient c = connect(v, id)) {
            assertEquals(List.of(1, 1, denied, denied, 1, denied),
                    Wire.subscribe(c, 1, 1, "jobs/+/run", "jobs/#", "#", "+/a", "devices/" + id + "/#",
                            "devices/+/x"));
        }
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void sharedSubscriptionsAreCheckedOnTheirFilter(MqttVersion v) throws Exception {
        int denied = v == MqttVersion.MQTT_5 ? 0x87 : 0x80;
        try (RawMqttClient c = connect(v, "shared-" + tag(v))) {
            assertEquals(List.of(1, denied, denied),
                    Wire.subscribe(c, 1, 1, "$share/g/jobs/+", "$share/g/other/x", "$share/g/test/nosubscribe"));
        }
    }

    // ------------------------------------------------------------------------------------------------- admin

    @Test
    void listsTheRulesWithTheirLines() {
        admin().get("/api/v1/acl").then().statusCode(200)
                .body("active", equalTo(true))
                .body("default", equalTo("deny"))
                .body("defaultSource", equalTo("file"))
                .body("groups.ops", equalTo(List.of("client:ops-1", "user:operator")))
                .body("rules", hasSize(9))
                .body("rules[0].line", equalTo(6))
                .body("rules[0].text", equalTo("deny subscribe test/nosubscribe to all"))
                .body("rules[6].maxQos", equalTo(1));
    }

    @Test
    void explainsDecisions() {
        admin().queryParam("client", "d1").queryParam("topic", "devices/d1/x").queryParam("action", "publish")
                .get("/api/v1/acl/explain").then().statusCode(200)
                .body("decision", equalTo("allow"))
                .body("rule.line", equalTo(10))
                .body("rule.text", equalTo("allow all devices/%c/# to all"))
                .body("reason", equalTo("first matching rule at line 10"));
        admin().queryParam("client", "d1").queryParam("topic", "devices/d2/x").queryParam("action", "publish")
                .get("/api/v1/acl/explain").then().statusCode(200)
                .body("decision", equalTo("deny"))
                .body("rule", nullValue())
                .body("reason", equalTo("no rule matched: default deny"));
        admin().queryParam("client", "x").queryParam("topic", "test/nosubscribe").queryParam("action", "subscribe")
                .get("/api/v1/acl/explain").then().statusCode(200)
                .body("decision", equalTo("deny"))
                .body("rule.line", equalTo(6));
        admin().queryParam("client", "x").queryParam("username", "operator").queryParam("topic", "fleet/+")
                .queryParam("action", "subscribe").get("/api/v1/acl/explain").then().statusCode(200)
                .body("decision", equalTo("allow"))
                .body("rule.line", equalTo(12));
        admin().queryParam("client", "x").queryParam("topic", "status/a").queryParam("action", "retain")
                .get("/api/v1/acl/explain").then().statusCode(200)
                .body("decision", equalTo("deny"))
                .body("reason", equalTo("retain: no rule matched: default deny"));
        admin().queryParam("client", "x").queryParam("topic", "telemetry/a").queryParam("action", "publish")
                .queryParam("qos", "2").get("/api/v1/acl/explain").then().statusCode(200)
                .body("decision", equalTo("deny"))
                .body("reason", containsString("allows QoS <= 1 only"));
    }

    @Test
    void explainRejectsBadInput() {
        admin().queryParam("client", "d1").queryParam("action", "publish").get("/api/v1/acl/explain")
                .then().statusCode(400).body("error", containsString("topic is required"));
        admin().queryParam("client", "d1").queryParam("topic", "a").queryParam("action", "delete")
                .get("/api/v1/acl/explain").then().statusCode(400).body("error", containsString("action must be"));
        admin().queryParam("client", "d1").queryParam("topic", "a/#/b").queryParam("action", "subscribe")
                .get("/api/v1/acl/explain").then().statusCode(400)
                .body("error", containsString("invalid topic filter"));
        admin().queryParam("client", "d1").queryParam("topic", "a/+").queryParam("action", "publish")
                .get("/api/v1/acl/explain").then().statusCode(400).body("error", containsString("invalid topic name"));
        admin().queryParam("client", "d1").queryParam("topic", "a").queryParam("action", "publish")
                .queryParam("qos", "3").get("/api/v1/acl/explain").then().statusCode(400)
                .body("error", containsString("qos"));
        admin().queryParam("topic", "a").queryParam("action", "publish").get("/api/v1/acl/explain")
                .then().statusCode(400).body("error", containsString("client is required"));
    }

    // ------------------------------------------------------------------------------------------------ reload

    /**
     * A reload takes about a second; the bound is for the REST calls that observe it, the first of which (RestAssured
     * warming up) has taken over 10 s on a loaded machine.
     */
    private static final Duration RELOAD_SEEN = Duration.ofSeconds(30);

    @Test
    void editingTheFileChangesDecisionsWithoutRestart() throws Exception {
        try (RawMqttClient c = connect(MqttVersion.MQTT_5, "reloader")) {
            assertEquals(0x87, publishQos1(c, "reload/a", false, 1)); // decision now cached
            try {
                Files.writeString(AclProfile.FILE, ACL + """
                          - allow: publish
                            topic: reload/#
                        """);
                await().atMost(RELOAD_SEEN).until(() -> admin().get("/api/v1/acl").then().extract()
                        .path("rules.size()").equals(10));
                assertEquals(0x10, publishQos1(c, "reload/a", false, 2));

                // A broken edit keeps the rules in force and says why.
                Files.writeString(AclProfile.FILE, ACL + "  - allow: publish\n");
                await().atMost(RELOAD_SEEN).until(() -> admin().get("/api/v1/acl").then().extract()
                        .path("lastError") != null);
                admin().get("/api/v1/acl").then().body("rules", hasSize(10))
                        .body("lastError", containsString("line 27"));
                assertEquals(0x10, publishQos1(c, "reload/a", false, 3));
            } finally {
                Files.writeString(AclProfile.FILE, ACL);
            }
            await().atMost(RELOAD_SEEN).until(() -> admin().get("/api/v1/acl").then().extract()
                    .path("rules.size()").equals(9));
            admin().get("/api/v1/acl").then().body("lastError", nullValue());
            assertEquals(0x87, publishQos1(c, "reload/a", false, 4));
        }
    }
}
