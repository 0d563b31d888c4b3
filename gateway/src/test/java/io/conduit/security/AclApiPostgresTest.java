package io.conduit.security;

import io.conduit.mqtt.MqttServer;
import io.conduit.testing.PostgresResource;
import io.conduit.testing.RawMqttClient;
import io.conduit.testing.Sql;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.conduit.testing.AdminApi.admin;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * API ACL rules in PostgreSQL, on a broker without an ACL file: the first rule turns the ACL on, rows keep the order
 * and content given, the last deletion turns it off again.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresResource.class, restrictToAnnotatedClass = true)
class AclApiPostgresTest {

    @Inject
    MqttServer server;

    private static int publishQos1(RawMqttClient c, String topic, int packetId) {
        c.publish(topic, "m", 1, false, packetId, null);
        return RawMqttClient.reasonCode(c.expect(MqttMessageType.PUBACK));
    }

    /** The database outlives this broker: leave no rule to the next test class. */
    @AfterEach
    void cleanUp() {
        AclApiTest.deleteApiRules();
    }

    @Test
    void rulesAreStoredInOrderAndEnforcedWithoutAnAclFile() throws Exception {
        admin().get("/api/v1/acl").then().statusCode(200).body("active", equalTo(false)).body("file", equalTo(null));
        try (RawMqttClient c = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, "pg-acl", true, null)) {
            assertEquals(0x10, publishQos1(c, "pg/a", 1));

            long deny = AclApiTest.create("""
                    {"effect": "deny", "actions": ["publish"], "topic": "pg/%c/#", "to": ["all"]}""");
            long allow = AclApiTest.create("""
                    {"effect": "allow", "actions": ["publish", "retain"], "topic": "pg/#", "maxQos": 1,
                     "description": "plant floor", "position": 1}""");
            admin().get("/api/v1/acl").then().body("active", equalTo(true));
            // The allow at position 1 decides before the deny.
            assertEquals(0x10, publishQos1(c, "pg/pg-acl/x", 2));

            List<Map<String, Object>> rows = Sql.rows(
                    "SELECT id, position, effect, actions, topic, targets, max_qos, description, source "
                            + "FROM acl_rule ORDER BY position");
            assertEquals(2, rows.size());
            assertEquals(allow, ((Number) rows.get(0).get("id")).longValue());
            assertEquals(1, rows.get(0).get("position"));
            assertEquals("allow", rows.get(0).get("effect"));
            assertArrayEquals(new String[] {"publish", "retain"}, (Object[]) rows.get(0).get("actions"));
            assertEquals(1, rows.get(0).get("max_qos"));
            assertEquals("plant floor", rows.get(0).get("description"));
            assertEquals("api", rows.get(0).get("source"));
            assertEquals(deny, ((Number) rows.get(1).get("id")).longValue());
            assertEquals(2, rows.get(1).get("position"));
            assertEquals("pg/%c/#", rows.get(1).get("topic"));
            assertArrayEquals(new String[] {"all"}, (Object[]) rows.get(1).get("targets"));

            // Moving the deny first takes effect on the live connection.
            admin().contentType(ContentType.JSON).body("{\"position\": 1}").put("/api/v1/acl/rules/" + deny)
                    .then().statusCode(200);
            assertEquals(List.of(deny, allow), Sql.rows("SELECT id FROM acl_rule ORDER BY position").stream()
                    .map(r -> ((Number) r.get("id")).longValue()).toList());
            assertEquals(0x87, publishQos1(c, "pg/pg-acl/x", 4));

            admin().delete("/api/v1/acl/rules/" + deny).then().statusCode(204);
            admin().delete("/api/v1/acl/rules/" + allow).then().statusCode(204);
            assertEquals(0, Sql.rows("SELECT id FROM acl_rule").size());
            admin().get("/api/v1/acl").then().body("active", equalTo(false));
            assertEquals(0x10, publishQos1(c, "pg/pg-acl/x", 5));
        }
    }
}
