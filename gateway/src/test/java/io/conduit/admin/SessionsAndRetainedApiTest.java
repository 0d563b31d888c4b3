package io.conduit.admin;

import io.conduit.mqtt.MqttServer;
import io.conduit.testing.RawMqttClient;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

/**
 * {@code /api/v1/sessions} and {@code /api/v1/retained} with the in-memory stores (the %test default); the
 * PostgreSQL case is in PostgresStoresTest.
 */
@QuarkusTest
class SessionsAndRetainedApiTest {

    @Inject
    MqttServer server;

    private static RequestSpecification admin() {
        return given().auth().preemptive().basic("admin", "test-admin-password");
    }

    @Test
    void sessionsListsLiveAndOfflinePersistentSessionsWithTheirQueues() throws Exception {
        try (RawMqttClient offline = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_3_1_1, "api-s-offline",
                false, null)) {
            offline.subscribe(1, "api/s/#", 1);
            offline.disconnect();
        }
        try (RawMqttClient live = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_3_1_1, "api-s-live", true,
                null)) {
            for (int i = 0; i < 3; i++) {
                live.publish("api/s/x", "m" + i, 1, false, i + 1, null);
                live.expect(MqttMessageType.PUBACK);
            }
            admin().get("/api/v1/sessions/api-s-offline").then().statusCode(200)
                    .body("connected", equalTo(false)).body("persistent", equalTo(true))
                    .body("queued", equalTo(3)).body("subscriptions.filter", contains("api/s/#"))
                    .body("subscriptions[0].qos", equalTo(1))
                    .body("subscriptions[0].subscriptionIdentifier", nullValue());
            admin().get("/api/v1/sessions/api-s-live").then().statusCode(200)
                    .body("connected", equalTo(true)).body("persistent", equalTo(false))
                    .body("expiryInterval", equalTo(0));
            admin().queryParam("connected", "false").queryParam("limit", 1000).get("/api/v1/sessions").then()
                    .statusCode(200).body("items.clientId", hasItem("api-s-offline"))
                    .body("items.clientId", not(hasItem("api-s-live")));
            admin().queryParam("limit", 1).get("/api/v1/sessions").then().statusCode(200)
                    .body("items.size()", equalTo(1)).body("limit", equalTo(1));
        }
        admin().get("/api/v1/sessions/nobody-here").then().statusCode(404);
        given().get("/api/v1/sessions").then().statusCode(401);
        given().queryParam("topic", "api/s/x").delete("/api/v1/retained").then().statusCode(401);
        admin().queryParam("limit", 0).get("/api/v1/sessions").then().statusCode(400)
                .body("error", equalTo("limit must be between 1 and 1000"));
        try (RawMqttClient end = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_3_1_1, "api-s-offline",
                true, null)) {
            end.disconnect();
        }
    }

    @Test
    void retainedListsByFilterPagesAndDeletes() throws Exception {
        try (RawMqttClient pub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_3_1_1, "api-r-pub", true,
                null)) {
            for (String t : new String[] {"api/r/b", "api/r/a", "api/r/c/deep", "api/other"}) {
                pub.publish(t, "v-" + t, 1, true, 1, null);
                pub.expect(MqttMessageType.PUBACK);
            }
        }
        admin().queryParam("filter", "api/r/+").get("/api/v1/retained").then().statusCode(200)
                .body("total", equalTo(2)).body("items.topic", contains("api/r/a", "api/r/b"))
                .body("items[0].payload", equalTo("v-api/r/a")).body("items[0].encoding", equalTo("utf-8"))
                .body("items[0].publisherId", equalTo("api-r-pub"));
        admin().queryParam("filter", "api/r/#").queryParam("offset", 1).queryParam("limit", 1)
                .get("/api/v1/retained").then().statusCode(200)
                .body("total", equalTo(3)).body("items.topic", contains("api/r/b"));
        admin().queryParam("filter", "api/+/#/x").get("/api/v1/retained").then().statusCode(400);

        admin().queryParam("topic", "api/r/a").delete("/api/v1/retained").then().statusCode(204);
        admin().queryParam("topic", "api/r/a").delete("/api/v1/retained").then().statusCode(404);
        admin().queryParam("topic", "api/r/#").delete("/api/v1/retained").then().statusCode(400);
        admin().queryParam("filter", "api/r/#").get("/api/v1/retained").then().statusCode(200)
                .body("items.topic", contains("api/r/b", "api/r/c/deep"));
        // Gone for subscribers too, and the deletion itself was not delivered as a message.
        try (RawMqttClient sub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_3_1_1, "api-r-sub", true,
                null)) {
            sub.subscribe(1, "api/r/a", 1);
            sub.expectNothing(Duration.ofMillis(300));
        }
        for (String t : new String[] {"api/r/b", "api/r/c/deep", "api/other"}) {
            admin().queryParam("topic", t).delete("/api/v1/retained").then().statusCode(204);
        }
    }
}
