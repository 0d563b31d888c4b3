package io.conduit.security;

import io.conduit.mqtt.MqttServer;
import io.conduit.testing.AclFiles;
import io.conduit.testing.RawMqttClient;
import io.conduit.testing.Wire;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.conduit.testing.AdminApi.admin;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * ACL rules made through the admin API (in memory): enforced on live MQTT connections at once, after the ACL file's
 * rules, validated like the file's, changeable by admins only; the file's rules stay read-only.
 */
@QuarkusTest
@TestProfile(AclApiTest.FileProfile.class)
class AclApiTest {

    static final String ACL = """
            default: allow
            rules:
              - allow: all
                topic: open/#
              - deny: publish
                topic: closed/#
            """;

    public static class FileProfile implements QuarkusTestProfile {

        static final Path FILE = AclFiles.write("conduit-acl-api-", ACL);

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("conduit.security.acl-file", FILE.toString(),
                    "conduit.security.acl-api-max-rules", "4");
        }
    }

    @Inject
    MqttServer server;

    @AfterEach
    void cleanUp() {
        deleteApiRules();
    }

    static void deleteApiRules() {
        List<Object> ids = admin().get("/api/v1/acl/rules").then().statusCode(200).extract()
                .jsonPath().getList("findAll { it.source == 'api' }.id");
        for (Object id : ids) {
            admin().delete("/api/v1/acl/rules/" + id).then().statusCode(204);
        }
    }

    static long create(String json) {
        return admin().contentType(ContentType.JSON).body(json).post("/api/v1/acl/rules")
                .then().statusCode(201).extract().jsonPath().getLong("id");
    }

    private RawMqttClient connect(String clientId) throws InterruptedException {
        return RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, clientId, true, null);
    }

    private static int publishQos1(RawMqttClient c, String topic, int packetId) {
        c.publish(topic, "m", 1, false, packetId, null);
        MqttMessage ack = c.expect(MqttMessageType.PUBACK);
        return RawMqttClient.reasonCode(ack);
    }

    @Test
    void anApiDenyRuleRefusesALiveClientUntilDeleted() throws Exception {
        try (RawMqttClient c = connect("api-client")) {
            // Allowed by the default, no subscriber: 0x10.
            assertEquals(0x10, publishQos1(c, "plant/a", 1));
            assertEquals(List.of(1), Wire.subscribe(c, 2, 1, "plant/b/#"));

            long id = create("""
                    {"effect": "deny", "actions": ["publish", "subscribe"], "topic": "plant/#",
                     "to": ["client:api-client"], "description": "maintenance"}""");
            assertEquals(0x87, publishQos1(c, "plant/a", 3));
            assertEquals(List.of(0x87), Wire.subscribe(c, 4, 1, "plant/c/#"));
            admin().queryParam("client", "api-client").queryParam("topic", "plant/a").queryParam("action", "publish")
                    .get("/api/v1/acl/explain").then().statusCode(200)
                    .body("decision", equalTo("deny"))
                    .body("rule.id", equalTo((int) id))
                    .body("rule.source", equalTo("api"))
                    .body("reason", equalTo("first matching rule api rule " + id));
            // Another client is not a target.
            try (RawMqttClient other = connect("api-other")) {
                assertEquals(0x10, publishQos1(other, "plant/a", 1));
            }

            admin().delete("/api/v1/acl/rules/" + id).then().statusCode(204);
            admin().delete("/api/v1/acl/rules/" + id).then().statusCode(404);
            assertEquals(0x10, publishQos1(c, "plant/a", 5));
            assertEquals(List.of(1), Wire.subscribe(c, 6, 1, "plant/c/#"));
        }
    }

    @Test
    void deliveriesToLiveSubscriptionsFollowNewRules() throws Exception {
        try (RawMqttClient sub = connect("api-sub"); RawMqttClient pub = connect("api-pub")) {
            assertEquals(List.of(0), Wire.subscribe(sub, 1, 0, "live/#"));
            long id = create("""
                    {"effect": "deny", "actions": "subscribe", "topic": "live/secret", "to": "client:api-sub"}""");
            pub.publish("live/secret", "s", 0, false, 0, null);
            pub.publish("live/a", "a", 0, false, 0, null);
            MqttPublishMessage p = sub.expect(MqttMessageType.PUBLISH);
            assertEquals("live/a", Wire.topic(p));
            Wire.expectNothingPending(sub);

            admin().delete("/api/v1/acl/rules/" + id).then().statusCode(204);
            pub.publish("live/secret", "s", 0, false, 0, null);
            assertEquals("live/secret", Wire.topic(sub.expect(MqttMessageType.PUBLISH)));
        }
    }

    @Test
    void fileRulesComeFirstThenApiRulesByPosition() throws Exception {
        // The file allows open/# to all: an API deny after it never decides.
        create("""
                {"effect": "deny", "actions": ["all"], "topic": "open/#"}""");
        long allow = create("""
                {"effect": "allow", "actions": ["publish"], "topic": "order/#"}""");
        long deny = create("""
                {"effect": "deny", "actions": ["publish"], "topic": "order/#", "position": 2}""");
        admin().get("/api/v1/acl/rules").then().statusCode(200)
                .body("", hasSize(5))
                .body("source", equalTo(List.of("file", "file", "api", "api", "api")))
                .body("id[0]", equalTo("file-3"))
                .body("line[0]", equalTo(3))
                .body("id[3]", equalTo((int) deny))
                .body("position[3]", equalTo(2))
                .body("id[4]", equalTo((int) allow))
                .body("order", equalTo(List.of(1, 2, 3, 4, 5)));
        admin().get("/api/v1/acl").then().statusCode(200)
                .body("active", equalTo(true))
                .body("rules", hasSize(5))
                .body("rules[2].source", equalTo("api"));
        try (RawMqttClient c = connect("api-order")) {
            assertEquals(0x10, publishQos1(c, "open/x", 1));
            assertEquals(0x87, publishQos1(c, "order/x", 2));
            // Moved before the deny: allowed at once.
            admin().contentType(ContentType.JSON).body("{\"position\": 1}").put("/api/v1/acl/rules/" + allow)
                    .then().statusCode(200).body("position", equalTo(1)).body("topic", equalTo("order/#"));
            assertEquals(0x10, publishQos1(c, "order/x", 3));
            // Replaced: the rule now denies.
            admin().contentType(ContentType.JSON).body("""
                    {"effect": "deny", "actions": ["publish"], "topic": "order/x", "description": "closed"}""")
                    .put("/api/v1/acl/rules/" + allow).then().statusCode(200)
                    .body("position", equalTo(1)).body("description", equalTo("closed"))
                    .body("effect", equalTo("deny"));
            assertEquals(0x87, publishQos1(c, "order/x", 4));
        }
    }

    @Test
    void invalidRulesAreRefusedWithTheFileValidatorsMessage() {
        String[][] cases = {
                {"{\"effect\": \"deny\", \"actions\": [\"publish\"], \"topic\": \"a/#/b\"}", "invalid topic filter"},
                {"{\"effect\": \"deny\", \"actions\": [\"read\"], \"topic\": \"a\"}",
                        "action must be publish, subscribe, retain or all, not 'read'"},
                {"{\"effect\": \"deny\", \"actions\": [\"publish\"], \"topic\": \"a\", \"maxQos\": 1}",
                        "maxQos only applies to allow rules"},
                {"{\"effect\": \"allow\", \"actions\": [\"publish\"], \"topic\": \"a\", \"maxQos\": 3}",
                        "maxQos must be 0, 1 or 2"},
                {"{\"effect\": \"allow\", \"actions\": [\"publish\"], \"topic\": \"a\", \"to\": [\"bob\"]}",
                        "to must be all, client:ID, user:NAME or group:NAME"},
                {"{\"effect\": \"maybe\", \"actions\": [\"publish\"], \"topic\": \"a\"}",
                        "effect must be allow or deny"},
                {"{\"effect\": \"allow\", \"actions\": [\"publish\"]}", "a rule needs a topic"},
                {"{\"effect\": \"allow\", \"actions\": [\"publish\"], \"topic\": \"a\", \"position\": 9}",
                        "position must be from 1 to 1"},
                {"{\"effect\": \"allow\", \"topic\": \"a\", \"colour\": \"red\"}", "unknown or unchangeable field"},
                {"{\"effect\": \"allow\", \"actions\": \"all\", \"topic\": \"a\", \"description\": \""
                        + "x".repeat(1025) + "\"}", "description must be at most 1024 characters"},
        };
        for (String[] c : cases) {
            admin().contentType(ContentType.JSON).body(c[0]).post("/api/v1/acl/rules").then()
                    .statusCode(400).body("error", containsString(c[1]));
        }
        admin().get("/api/v1/acl/rules").then().body("", hasSize(2));
    }

    @Test
    void theNumberOfApiRulesIsLimited() {
        for (int i = 0; i < 4; i++) {
            create("{\"effect\": \"allow\", \"actions\": \"publish\", \"topic\": \"limit/" + i + "\"}");
        }
        admin().contentType(ContentType.JSON)
                .body("{\"effect\": \"allow\", \"actions\": \"publish\", \"topic\": \"x\"}").post("/api/v1/acl/rules")
                .then().statusCode(409).body("error", containsString("conduit.security.acl-api-max-rules"));
    }

    @Test
    void viewersReadButCannotChange() {
        long id = create("""
                {"effect": "allow", "actions": ["subscribe"], "topic": "view/#"}""");
        given().auth().preemptive().basic("viewer", "test-viewer-password").get("/api/v1/acl/rules/" + id)
                .then().statusCode(200).body("topic", equalTo("view/#")).body("maxQos", nullValue());
        given().auth().preemptive().basic("viewer", "test-viewer-password").contentType(ContentType.JSON)
                .body("{\"effect\": \"deny\", \"actions\": [\"publish\"], \"topic\": \"x\"}")
                .post("/api/v1/acl/rules").then().statusCode(403);
        given().auth().preemptive().basic("viewer", "test-viewer-password").delete("/api/v1/acl/rules/" + id)
                .then().statusCode(403);
        admin().get("/api/v1/acl/rules/" + id).then().statusCode(200);
    }

    @Test
    void fileRulesAreReadOnly() {
        admin().get("/api/v1/acl/rules/file-5").then().statusCode(200)
                .body("source", equalTo("file")).body("topic", equalTo("closed/#"));
        admin().contentType(ContentType.JSON).body("{\"position\": 1}").put("/api/v1/acl/rules/file-5")
                .then().statusCode(409).body("error", containsString("comes from the ACL file"));
        admin().delete("/api/v1/acl/rules/file-3").then().statusCode(409);
        admin().delete("/api/v1/acl/rules/file-99").then().statusCode(404);
        admin().get("/api/v1/acl/rules/nope").then().statusCode(404);
    }
}
