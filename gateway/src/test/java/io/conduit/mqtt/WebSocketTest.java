package io.conduit.mqtt;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MQTT over WebSocket ({@code ws://host:ws-port/mqtt}) with the Paho Java clients, and its meeting with TCP. */
@QuarkusTest
class WebSocketTest {

    @Inject
    MqttServer server;

    @Test
    void pahoOverWebSocketAtEveryQos() throws Exception {
        MqttClient sub = connect(wsUri(), "ws-sub");
        MqttClient pub = connect(wsUri(), "ws-pub");
        try {
            BlockingQueue<String> got = new LinkedBlockingQueue<>();
            sub.subscribe("ws/+/reading", 2, (topic, m) -> got.add(topic + "=" + text(m.getPayload()) + "@"
                    + m.getQos()));
            for (int qos = 0; qos <= 2; qos++) {
                pub.publish("ws/dev" + qos + "/reading", ("v" + qos).getBytes(StandardCharsets.UTF_8), qos, false);
                assertEquals("ws/dev" + qos + "/reading=v" + qos + "@" + qos, got.poll(5, TimeUnit.SECONDS));
            }
        } finally {
            close(pub);
            close(sub);
        }
    }

    @Test
    void webSocketAndTcpClientsExchangeMessages() throws Exception {
        MqttClient ws = connect(wsUri(), "ws-mixed-ws");
        MqttClient tcp = connect("tcp://127.0.0.1:" + server.tcpPort(), "ws-mixed-tcp");
        try {
            BlockingQueue<String> atWs = new LinkedBlockingQueue<>();
            BlockingQueue<String> atTcp = new LinkedBlockingQueue<>();
            ws.subscribe("mixed/to-ws", 1, (topic, m) -> atWs.add(text(m.getPayload())));
            tcp.subscribe("mixed/to-tcp", 1, (topic, m) -> atTcp.add(text(m.getPayload())));

            tcp.publish("mixed/to-ws", "from tcp".getBytes(StandardCharsets.UTF_8), 1, false);
            ws.publish("mixed/to-tcp", "from ws".getBytes(StandardCharsets.UTF_8), 1, false);

            assertEquals("from tcp", atWs.poll(5, TimeUnit.SECONDS));
            assertEquals("from ws", atTcp.poll(5, TimeUnit.SECONDS));
        } finally {
            close(ws);
            close(tcp);
        }
    }

    @Test
    void pahoMqtt5OverWebSocket() throws Exception {
        org.eclipse.paho.mqttv5.client.MqttClient client = new org.eclipse.paho.mqttv5.client.MqttClient(
                wsUri(), "ws-v5", new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
        MqttConnectionOptions options = new MqttConnectionOptions();
        options.setCleanStart(true);
        options.setConnectionTimeout(10);
        client.connect(options);
        try {
            BlockingQueue<String> got = new LinkedBlockingQueue<>();
            client.subscribe(new MqttSubscription[] {new MqttSubscription("ws5/echo", 1)},
                    new org.eclipse.paho.mqttv5.client.IMqttMessageListener[] {
                            (topic, m) -> got.add(topic + "=" + text(m.getPayload()))});
            client.publish("ws5/echo", "five".getBytes(StandardCharsets.UTF_8), 1, false);
            assertEquals("ws5/echo=five", got.poll(5, TimeUnit.SECONDS));
        } finally {
            client.disconnect();
            client.close();
        }
    }

    @Test
    void webSocketUpgradeOnlyOnTheConfiguredPath() throws Exception {
        // The right path switches protocols with the MQTT subprotocol...
        String ok = upgrade("/mqtt");
        assertTrue(ok.startsWith("HTTP/1.1 101"), ok);
        assertTrue(ok.toLowerCase().contains("sec-websocket-protocol: mqtt"), ok);

        // ...any other path gets a 404 at once, not a socket left waiting for the connect timeout.
        String refused = upgrade("/not-mqtt");
        assertTrue(refused.startsWith("HTTP/1.1 404"), "expected 404 on a wrong path: " + refused);
    }

    /**
     * Sends a WebSocket upgrade request for a path and returns the start of the answer ("" when the server closed
     * the connection without one). The broker has at most 15 s (its connect timeout closes idle sockets sooner).
     */
    private String upgrade(String path) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.wsPort())) {
            socket.setSoTimeout(15_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\n"
                    + "Host: 127.0.0.1:" + server.wsPort() + "\r\n"
                    + "Upgrade: websocket\r\n"
                    + "Connection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Protocol: mqtt\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] buf = new byte[1024];
            StringBuilder answer = new StringBuilder();
            try {
                // Read the status line and headers (up to the blank line), or until the server closes.
                while (answer.indexOf("\r\n\r\n") < 0) {
                    int n = in.read(buf);
                    if (n < 0) {
                        break;
                    }
                    answer.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                }
            } catch (SocketTimeoutException e) {
                throw new AssertionError("no answer and no close within 15 s for " + path + "; got: " + answer, e);
            } catch (java.net.SocketException e) {
                // Reset by the server: refused too.
            }
            return answer.toString();
        }
    }

    private String wsUri() {
        return "ws://127.0.0.1:" + server.wsPort() + "/mqtt";
    }

    private static MqttClient connect(String uri, String clientId) throws Exception {
        MqttClient client = new MqttClient(uri, clientId, new MemoryPersistence());
        MqttConnectOptions options = new MqttConnectOptions();
        options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        options.setConnectionTimeout(10);
        client.connect(options);
        return client;
    }

    private static void close(MqttClient client) throws Exception {
        if (client.isConnected()) {
            client.disconnect();
        }
        client.close();
    }

    private static String text(byte[] payload) {
        return new String(payload, StandardCharsets.UTF_8);
    }
}
