package io.conduit;

import io.conduit.mqtt.MqttServer;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static io.conduit.testing.AdminApi.admin;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.equalToIgnoringCase;
import static org.hamcrest.Matchers.notNullValue;

/**
 * What the gateway serves over HTTP today: the placeholder page, health, Prometheus metrics, OpenAPI (open to all),
 * and the admin API behind the local admin account.
 */
@QuarkusTest
class HttpEndpointsTest {

    @Inject
    MqttServer server;

    @Test
    void placeholderPage() {
        given().get("/").then().statusCode(200)
                .contentType(containsString("text/html"))
                .body(containsString("Conduit"), containsString("admin UI is coming"), containsString("q/health"));
    }

    @Test
    void healthIsUp() {
        given().get("/q/health").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    void brokerMetersAreExported() throws Exception {
        MqttClient client = new MqttClient("tcp://127.0.0.1:" + server.tcpPort(), "metrics-probe",
                new MemoryPersistence());
        client.connect();
        client.publish("metrics/probe", "x".getBytes(StandardCharsets.UTF_8), 1, false);
        client.disconnect();
        client.close();
        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("conduit_messages_received_total"),
                        containsString("conduit_messages_sent_total"),
                        containsString("conduit_messages_dropped_total"),
                        containsString("conduit_bytes_received_total"),
                        containsString("conduit_bytes_sent_total"),
                        containsString("conduit_connections_total"),
                        containsString("conduit_clients_connected"),
                        containsString("conduit_sockets"));
    }

    @Test
    void openApiDocument() {
        given().get("/q/openapi").then().statusCode(200).body(containsString("Conduit admin API"));
    }

    @Test
    void adminApiNeedsTheLocalAdmin() {
        given().get("/api/v1/plugins").then().statusCode(401)
                .header("WWW-Authenticate", equalToIgnoringCase("basic realm=\"Conduit\""));
        given().post("/api/v1/plugins/x/disable").then().statusCode(401);
        given().auth().preemptive().basic("admin", "wrong").get("/api/v1/acl").then().statusCode(401);
        given().auth().preemptive().basic("root", "test-admin-password").get("/api/v1/acl").then().statusCode(401);
        admin().get("/api/v1/acl").then().statusCode(200).body("default", notNullValue());
        admin().get("/api/v1/plugins").then().statusCode(200);
        admin().post("/api/v1/plugins/none/disable").then().statusCode(404).body("error", containsString("none"));
    }

    @Test
    void localViewerReadsButMayNotChange() {
        given().auth().preemptive().basic("viewer", "test-viewer-password").get("/api/v1/plugins").then()
                .statusCode(200);
        given().auth().preemptive().basic("viewer", "test-viewer-password").post("/api/v1/plugins/none/disable")
                .then().statusCode(403).contentType(containsString("json"))
                .body("error", equalTo(
                        "'viewer' (roles [conduit-viewer]) may not do this: it needs the role conduit-admin"));
        given().auth().preemptive().basic("viewer", "test-admin-password").get("/api/v1/plugins").then()
                .statusCode(401);
    }
}
