package io.conduit.security;

import io.conduit.mqtt.MqttServer;
import io.conduit.testing.AclFiles;
import io.conduit.testing.PostgresResource;
import io.conduit.testing.RawMqttClient;
import io.conduit.testing.Sql;
import io.conduit.testing.Wire;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.elytron.security.common.BcryptUtil;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.ValidatableResponse;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The device registry on PostgreSQL with anonymous access off: devices created through the admin API connect with
 * their password (3.1.1 and 5.0 codes for every refusal), their groups feed the ACL, disabling or deleting one
 * disconnects it, passwords never show in responses or logs, and failed CONNECTs are answered later and later.
 */
@QuarkusTest
@TestProfile(DevicesTest.SecuredProfile.class)
@QuarkusTestResource(value = PostgresResource.class, restrictToAnnotatedClass = true)
class DevicesTest {

    static final String RULES = """
            default: deny
            rules:
              - allow: all
                topic: devices/%u/#
              - allow: [publish, subscribe]
                topic: sensors/#
                to: group:sensors
            """;

    /** Two file devices; the second's hash in the $2y$ form htpasswd writes. */
    static final String FILE_DEVICES = """
            devices:
              - username: file-1
                client-id: file-client-1
                password-hash: %s
                groups: [sensors]
              - username: file-2
                password-hash: %s
            """.formatted(BcryptUtil.bcryptHash("file-pw-1", 4), "$2y$" + BcryptUtil.bcryptHash("file-pw-2", 4)
            .substring(4));

    /** Anonymous access off, an ACL with a device group, quick bcrypt, short back-off. */
    public static class SecuredProfile implements QuarkusTestProfile {

        static final Path FILE = AclFiles.write("conduit-devices-", RULES + FILE_DEVICES);

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "conduit.security.allow-anonymous", "false",
                    "conduit.security.acl-file", FILE.toString(),
                    "conduit.security.devices.bcrypt-cost", "4",
                    "conduit.security.devices.last-seen-interval", "200ms",
                    "conduit.security.brute-force.initial-delay", "300ms",
                    "conduit.security.brute-force.max-delay", "1200ms",
                    "quarkus.log.category.\"io.conduit\".level", "DEBUG");
        }
    }

    @Inject
    MqttServer server;

    private final ConcurrentLinkedQueue<String> log = new ConcurrentLinkedQueue<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            String m = r instanceof ExtLogRecord e ? e.getFormattedMessage() : r.getMessage();
            log.add(r.getLoggerName() + " " + m + (r.getThrown() == null ? "" : " " + r.getThrown()));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void captureLog() {
        capture.setLevel(Level.ALL);
        java.util.logging.Logger.getLogger("").addHandler(capture);
    }

    @AfterEach
    void stopCapture() {
        java.util.logging.Logger.getLogger("").removeHandler(capture);
    }

    private static RequestSpecification api() {
        return given().auth().preemptive().basic("admin", "test-admin-password").contentType("application/json");
    }

    private static long create(String body) {
        return api().body(body).post("/api/v1/devices").then().statusCode(201).extract().jsonPath().getLong("id");
    }

    /** The CONNACK code a CONNECT gets (5.0 reason code, or 3.1.1 return code). */
    private int connack(MqttVersion v, String clientId, String username, String password) throws Exception {
        try (RawMqttClient c = RawMqttClient.open(server.tcpPort())) {
            c.send(connect(v, clientId, username, password).build());
            MqttConnAckMessage ack = c.expect(MqttMessageType.CONNACK);
            return ack.variableHeader().connectReturnCode().byteValue() & 0xFF;
        }
    }

    private static MqttMessageBuilders.ConnectBuilder connect(MqttVersion v, String clientId, String username,
                                                              String password) {
        MqttMessageBuilders.ConnectBuilder b = Wire.connect(v, clientId, true, 60, null);
        if (username != null) {
            b.hasUser(true).username(username);
        }
        if (password != null) {
            b.hasPassword(true).password(password.getBytes(StandardCharsets.UTF_8));
        }
        return b;
    }

    @Test
    void crudOverTheApiWithoutEverShowingThePassword() {
        String password = "crud-Secret-77";
        long id = create("""
                {"username": "crud-1", "clientId": "crud-client-1", "password": "%s", "groups": ["a", "b"],
                 "metadata": {"site": "lab", "floor": 2}}""".formatted(password));
        String body = api().get("/api/v1/devices/" + id).then().statusCode(200)
                .body("username", equalTo("crud-1")).body("clientId", equalTo("crud-client-1"))
                .body("enabled", equalTo(true)).body("groups", equalTo(List.of("a", "b")))
                .body("metadata.site", equalTo("lab")).body("metadata.floor", equalTo(2))
                .body("hasPassword", equalTo(true)).body("scram", equalTo(true)).body("source", equalTo("api"))
                .body("$", not(hasKey("password"))).body("$", not(hasKey("passwordHash")))
                .body("createdAt", notNullValue()).extract().asString();
        assertFalse(body.contains(password));
        assertFalse(body.contains("$2a$"), body);

        // In PostgreSQL: a bcrypt hash of the configured cost and the SCRAM-SHA-256 credentials, never the password.
        Map<String, Object> row = Sql.row("SELECT * FROM device WHERE id = ?", id);
        String hash = (String) row.get("password_hash");
        assertTrue(hash.startsWith("$2a$04$"), hash);
        assertTrue(PasswordHashing.verify(password, hash));
        assertEquals(4096, row.get("scram_iterations"));
        assertEquals(32, ((byte[]) row.get("scram_stored_key")).length);
        assertEquals(32, ((byte[]) row.get("scram_server_key")).length);
        assertFalse(row.toString().contains(password));

        api().queryParam("group", "b").get("/api/v1/devices").then().statusCode(200)
                .body("items.username", hasItem("crud-1")).body("total", equalTo(1));
        api().queryParam("clientId", "crud-client-1").get("/api/v1/devices").then()
                .body("items[0].id", equalTo((int) id));
        api().queryParam("username", "nobody").get("/api/v1/devices").then().body("total", equalTo(0));
        api().queryParam("limit", "1").queryParam("offset", "0").get("/api/v1/devices").then()
                .body("items.size()", equalTo(1)).body("limit", equalTo(1));

        api().body("{\"enabled\": false, \"groups\": [\"c\"], \"metadata\": {\"x\": true}, \"password\": \"new-"
                + password + "\"}").patch("/api/v1/devices/" + id).then().statusCode(200)
                .body("enabled", equalTo(false)).body("groups", equalTo(List.of("c")))
                .body("metadata.x", equalTo(true)).body(not(containsString(password)));
        assertTrue(PasswordHashing.verify("new-" + password,
                (String) Sql.row("SELECT password_hash FROM device WHERE id = ?", id).get("password_hash")));

        // Bad input: 400 with a message; unknown: 404; taken: 409.
        expectError(api().body("{\"password\": \"x\"}").post("/api/v1/devices").then(), 400, "clientId");
        expectError(api().body("{\"username\": \"\"}").post("/api/v1/devices").then(), 400, "empty");
        expectError(api().body("{\"username\": \"u\", \"groups\": \"g\"}").post("/api/v1/devices").then(), 400,
                "groups");
        expectError(api().body("{\"username\": \"u\", \"groups\": [\"a b\"]}").post("/api/v1/devices").then(), 400,
                "group");
        expectError(api().body("{\"username\": \"u\", \"pasword\": \"x\"}").post("/api/v1/devices").then(), 400,
                "pasword");
        expectError(api().body("{\"username\": \"u\", \"password\": \"" + "p".repeat(73) + "\"}")
                .post("/api/v1/devices").then(), 400, "72");
        String broken = "{\"username\": \"u\", \"password\": \"leak-me-not\"";
        String brokenAnswer = api().body(broken).post("/api/v1/devices").then().statusCode(400)
                .body("error", containsString("JSON")).extract().asString();
        assertFalse(brokenAnswer.contains("leak-me-not"));
        expectError(api().body("{\"username\": \"changed\"}").patch("/api/v1/devices/" + id).then(), 400,
                "username");
        expectError(api().queryParam("limit", "0").get("/api/v1/devices").then(), 400, "limit");
        expectError(api().get("/api/v1/devices/999999").then(), 404, "999999");
        expectError(api().get("/api/v1/devices/abc").then(), 404, "abc");
        expectError(api().body("{}").patch("/api/v1/devices/999999").then(), 404, "999999");
        expectError(api().body("{\"username\": \"crud-1\"}").post("/api/v1/devices").then(), 409, "crud-1");
        expectError(api().body("{\"clientId\": \"crud-client-1\"}").post("/api/v1/devices").then(), 409,
                "crud-client-1");

        api().delete("/api/v1/devices/" + id).then().statusCode(204);
        api().get("/api/v1/devices/" + id).then().statusCode(404);
        api().delete("/api/v1/devices/" + id).then().statusCode(404);
        assertEquals(0L, Sql.count("SELECT count(*) FROM device WHERE id = " + id));

        // The capture works (it saw the creation), and no line carries a password.
        assertTrue(log.stream().anyMatch(l -> l.contains("device " + id + " created")), "log not captured");
        for (String line : log) {
            assertFalse(line.contains(password) || line.contains("leak-me-not"), line);
        }
    }

    private static void expectError(ValidatableResponse r, int status, String mentions) {
        r.statusCode(status).contentType("application/json").body("error", containsString(mentions));
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void connectWithRightAndWrongPasswords(MqttVersion v) throws Exception {
        boolean v5 = v == MqttVersion.MQTT_5;
        String user = "pw-" + v.name();
        String password = "Right-" + v.name();
        long id = create("{\"username\": \"" + user + "\", \"password\": \"" + password + "\"}");
        create("{\"username\": \"off-" + v.name() + "\", \"password\": \"" + password + "\", \"enabled\": false}");
        create("{\"username\": \"bound-" + v.name() + "\", \"clientId\": \"bound-id-" + v.name()
                + "\", \"password\": \"" + password + "\"}");

        assertEquals(0, connack(v, "c-" + user, user, password));
        assertEquals(0, connack(v, "c-" + user, user, password)); // again, from the cache of verified passwords
        assertEquals(v5 ? 0x86 : 4, connack(v, "c-" + user, user, "wrong"));
        assertEquals(v5 ? 0x86 : 4, connack(v, "c-unknown", "unknown-" + v.name(), password));
        assertEquals(v5 ? 0x87 : 5, connack(v, "c-" + user, "off-" + v.name(), password));
        assertEquals(v5 ? 0x87 : 5, connack(v, "c-" + user, user, null));
        assertEquals(v5 ? 0x87 : 5, connack(v, "c-anonymous-" + v.name(), null, null));
        // A device bound to a client id must use it; and its client id is not free for others.
        assertEquals(v5 ? 0x85 : 2, connack(v, "elsewhere", "bound-" + v.name(), password));
        assertEquals(0, connack(v, "bound-id-" + v.name(), "bound-" + v.name(), password));
        assertEquals(v5 ? 0x87 : 5, connack(v, "bound-id-" + v.name(), null, null));

        // Last seen is written in batches, shortly after.
        await().atMost(Duration.ofSeconds(10)).until(() ->
                Sql.row("SELECT last_seen_at FROM device WHERE id = ?", id).get("last_seen_at") != null);
        api().get("/api/v1/devices/" + id).then().body("lastSeenAt", notNullValue());
        for (String line : log) {
            assertFalse(line.contains(password), line);
        }
    }

    @Test
    void groupsFeedTheAclAndChangesReachLiveConnections() throws Exception {
        long sensor = create("{\"username\": \"grp-sensor\", \"password\": \"pw-grp\", \"groups\": [\"sensors\"]}");
        long other = create("{\"username\": \"grp-other\", \"password\": \"pw-grp\"}");
        try (RawMqttClient s = Wire.open(server.tcpPort(), connect(MqttVersion.MQTT_5, "grp-s", "grp-sensor",
                "pw-grp")).client();
             RawMqttClient o = Wire.open(server.tcpPort(), connect(MqttVersion.MQTT_5, "grp-o", "grp-other",
                     "pw-grp")).client()) {
            assertTrue(allowed(s, "sensors/t", 1));
            api().queryParam("client", "grp-s").queryParam("username", "grp-sensor").queryParam("topic", "sensors/t")
                    .queryParam("action", "publish").get("/api/v1/acl/explain").then().statusCode(200)
                    .body("decision", equalTo("allow")).body("deviceGroups", equalTo(List.of("sensors")));
            assertFalse(allowed(o, "sensors/t", 2));
            assertTrue(allowed(o, "devices/grp-other/t", 3)); // %u: its verified username

            // Regrouped while connected: the next PUBLISH is decided with the new groups.
            api().body("{\"groups\": [\"sensors\"]}").patch("/api/v1/devices/" + other).then().statusCode(200);
            await().atMost(Duration.ofSeconds(5)).until(() -> allowed(o, "sensors/t", 4));
            api().body("{\"groups\": []}").patch("/api/v1/devices/" + sensor).then().statusCode(200);
            await().atMost(Duration.ofSeconds(5)).until(() -> !allowed(s, "sensors/t", 5));

            // Disabled: its connection ends with DISCONNECT 0x87; it cannot come back.
            api().body("{\"enabled\": false}").patch("/api/v1/devices/" + other).then().statusCode(200);
            MqttMessage d = o.expect(MqttMessageType.DISCONNECT);
            assertEquals(0x87, RawMqttClient.reasonCode(d));
            assertTrue(o.awaitClosed(Duration.ofSeconds(5)));
            assertEquals(0x87, connack(MqttVersion.MQTT_5, "grp-o", "grp-other", "pw-grp"));

            // Deleted: likewise, and its name is unknown from then on.
            api().delete("/api/v1/devices/" + sensor).then().statusCode(204);
            assertEquals(0x87, RawMqttClient.reasonCode(s.expect(MqttMessageType.DISCONNECT)));
            assertEquals(0x86, connack(MqttVersion.MQTT_5, "grp-s", "grp-sensor", "pw-grp"));
        }
    }

    /** Publishes at QoS 1: true on success (0x00 or 0x10 No matching subscribers), false on 0x87. */
    private static boolean allowed(RawMqttClient c, String topic, int packetId) {
        c.publish(topic, "x", 1, false, packetId, null);
        int code = RawMqttClient.reasonCode(c.expect(MqttMessageType.PUBACK));
        if (code != 0 && code != 0x10 && code != 0x87) {
            throw new AssertionError("PUBACK 0x" + Integer.toHexString(code));
        }
        return code != 0x87;
    }

    @Test
    void devicesFromTheAclFileAreReadOnlyAndFollowTheFile() throws Exception {
        Map<String, Object> file1 = api().queryParam("username", "file-1").get("/api/v1/devices").then()
                .statusCode(200).body("total", equalTo(1)).body("items[0].source", equalTo("file"))
                .body("items[0].clientId", equalTo("file-client-1")).body("items[0].groups", equalTo(List.of("sensors")))
                .extract().jsonPath().getMap("items[0]");
        long id1 = ((Number) file1.get("id")).longValue();
        assertEquals(0, connack(MqttVersion.MQTT_3_1_1, "file-client-1", "file-1", "file-pw-1"));
        assertEquals(0, connack(MqttVersion.MQTT_5, "file-2-client", "file-2", "file-pw-2"));
        assertEquals(0x86, connack(MqttVersion.MQTT_5, "file-2-client", "file-2", "file-pw-1"));

        expectError(api().body("{\"enabled\": false}").patch("/api/v1/devices/" + id1).then(), 409, "ACL file");
        expectError(api().delete("/api/v1/devices/" + id1).then(), 409, "ACL file");
        expectError(api().body("{\"username\": \"file-1\"}").post("/api/v1/devices").then(), 409, "file-1");

        // The hash endpoint makes what the file needs.
        String hash = api().body("{\"password\": \"hash-me\"}").post("/api/v1/devices/password-hash").then()
                .statusCode(200).extract().jsonPath().getString("passwordHash");
        assertTrue(PasswordHashing.verify("hash-me", hash));

        // Reload: file-1 disabled, file-2 gone. file-1's live connection ends, file-2 is unknown from then on.
        try (RawMqttClient live = Wire.open(server.tcpPort(), connect(MqttVersion.MQTT_5, "file-client-1", "file-1",
                "file-pw-1")).client()) {
            String hash1 = FILE_DEVICES.lines().filter(l -> l.contains("password-hash")).findFirst().orElseThrow()
                    .replaceFirst(".*password-hash: ", "");
            Files.writeString(SecuredProfile.FILE, RULES + """
                    devices:
                      - username: file-1
                        client-id: file-client-1
                        password-hash: %s
                        enabled: false
                    """.formatted(hash1));
            assertEquals(0x87, RawMqttClient.reasonCode(live.expect(MqttMessageType.DISCONNECT)));
            api().queryParam("username", "file-2").get("/api/v1/devices").then().body("total", equalTo(0));
            assertEquals(0x86, connack(MqttVersion.MQTT_5, "file-2-client", "file-2", "file-pw-2"));
        } finally {
            Files.writeString(SecuredProfile.FILE, RULES + FILE_DEVICES);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> api().queryParam("username", "file-2")
                .get("/api/v1/devices").then().extract().jsonPath().getInt("total") == 1);
        api().get("/api/v1/devices/" + id1).then().body("enabled", equalTo(true));
    }

    @Test
    void failedConnectsAreAnsweredLaterAndLaterButNotTheRightOnes() throws Exception {
        create("{\"username\": \"bf-victim\", \"password\": \"pw-bf\"}");
        create("{\"username\": \"bf-valid\", \"password\": \"pw-valid\"}");
        long previous = 0;
        long first = 0;
        for (int i = 0; i < 4; i++) {
            long start = System.nanoTime();
            assertEquals(0x86, connack(MqttVersion.MQTT_5, "bf-attacker", "bf-victim", "guess-" + i));
            long took = (System.nanoTime() - start) / 1_000_000;
            if (i == 0) {
                first = took;
            }
            assertTrue(took >= 300 - 20, "refusal " + i + " after " + took + " ms");
            assertTrue(took <= 1200 + 1000, "refusal " + i + " after " + took + " ms, beyond the cap");
            assertTrue(took + 150 >= previous, "refusal " + i + " after " + took + " ms, before " + previous);
            previous = took;
        }
        assertTrue(previous >= 1200 - 20 && previous > first, "delays grow to the cap: " + first + " .. " + previous);

        // Someone else's failures (same address, other client id) do not slow down a client that authenticates.
        long start = System.nanoTime();
        assertEquals(0, connack(MqttVersion.MQTT_5, "bf-valid-client", "bf-valid", "pw-valid"));
        assertTrue((System.nanoTime() - start) / 1_000_000 < 300, "a valid client waited");
        // Nor the victim itself once it gives its password, and its success clears its client id's count.
        start = System.nanoTime();
        assertEquals(0, connack(MqttVersion.MQTT_5, "bf-attacker", "bf-victim", "pw-bf"));
        assertTrue((System.nanoTime() - start) / 1_000_000 < 300, "the right password waited");
    }
}
