package io.conduit.security;

import io.conduit.mqtt.MqttServer;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The device registry of a broker without a database (in memory), with anonymous access on as in the test profile:
 * devices authenticate, anonymous clients get in, but never as a registered device. Paho clients, 3.1.1 and 5.0.
 */
@QuarkusTest
class DevicesMemoryTest {

    @Inject
    MqttServer server;

    private String url() {
        return "tcp://127.0.0.1:" + server.tcpPort();
    }

    private int connect311(String clientId, String username, String password) throws MqttException {
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(true);
        if (username != null) {
            o.setUserName(username);
        }
        if (password != null) {
            o.setPassword(password.toCharArray());
        }
        try (MqttClient c = new MqttClient(url(), clientId, new MemoryPersistence())) {
            try {
                c.connect(o);
            } catch (MqttException e) {
                return e.getReasonCode();
            }
            c.disconnect();
            return 0;
        }
    }

    private int connect5(String clientId, String username, String password)
            throws org.eclipse.paho.mqttv5.common.MqttException {
        MqttConnectionOptions o = new MqttConnectionOptions();
        o.setCleanStart(true);
        if (username != null) {
            o.setUserName(username);
        }
        if (password != null) {
            o.setPassword(password.getBytes(StandardCharsets.UTF_8));
        }
        org.eclipse.paho.mqttv5.client.MqttClient c = new org.eclipse.paho.mqttv5.client.MqttClient(url(), clientId,
                new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
        try {
            c.connect(o);
            c.disconnect();
            return 0;
        } catch (org.eclipse.paho.mqttv5.common.MqttException e) {
            return e.getReasonCode();
        } finally {
            c.close();
        }
    }

    @Test
    void devicesInMemoryAndAnonymousClientsSideBySide() throws Exception {
        given().auth().preemptive().basic("admin", "test-admin-password").contentType("application/json")
                .body("{\"username\": \"mem-1\", \"clientId\": \"mem-client-1\", \"password\": \"mem-pw\"}")
                .post("/api/v1/devices").then().statusCode(201).body("source", equalTo("api"));

        assertEquals(0, connect311("mem-client-1", "mem-1", "mem-pw"));
        assertEquals(0, connect5("mem-client-1", "mem-1", "mem-pw"));
        assertEquals(4, connect311("mem-client-1", "mem-1", "wrong"));
        assertEquals(0x86, connect5("mem-client-1", "mem-1", "wrong"));
        // Anonymous access is on: no password, no registered name: in.
        assertEquals(0, connect311("mem-anonymous", null, null));
        assertEquals(0, connect5("mem-anonymous", "someone", null));
        // ... but a registered client id or username never gets in without its password.
        assertEquals(5, connect311("mem-client-1", null, null));
        assertEquals(0x87, connect5("mem-other", "mem-1", null));
        // A password nobody accepts is refused even with anonymous access on.
        assertEquals(0x86, connect5("mem-anonymous", "someone", "pw"));
        assertEquals(4, connect311("mem-anonymous", "someone", "pw"));
    }
}
