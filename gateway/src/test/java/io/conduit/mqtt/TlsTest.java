package io.conduit.mqtt;

import io.conduit.routing.Router;
import io.conduit.testing.ClientCertificates;
import io.conduit.testing.ExternalProcess;
import io.conduit.testing.ExternalProcess.Result;
import io.conduit.testing.Subscriptions;
import io.conduit.testing.TlsProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.net.SocketFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The TLS (mqtts) and secure WebSocket (wss) listeners, with a self-signed certificate made for the test. */
@QuarkusTest
@TestProfile(TlsProfile.class)
class TlsTest {

    @Inject
    MqttServer server;

    @Inject
    Router router;

    @Test
    void listenersAreOpenOnFreePorts() {
        assertTrue(server.tlsPort() > 0, "TLS port " + server.tlsPort());
        assertTrue(server.wssPort() > 0, "WSS port " + server.wssPort());
    }

    @Test
    void pahoRoundTripOverTls() throws Exception {
        roundTrip("ssl://127.0.0.1:" + server.tlsPort(), "tls");
    }

    @Test
    void pahoRoundTripOverSecureWebSocket() throws Exception {
        roundTrip("wss://127.0.0.1:" + server.wssPort() + "/mqtt", "wss");
    }

    @Test
    void plainTcpClientCannotTalkToTheTlsPort() {
        MqttException e = assertThrows(MqttException.class,
                () -> connect("tcp://127.0.0.1:" + server.tlsPort(), "tls-plain", SocketFactory.getDefault()));
        assertTrue(e.getReasonCode() != 0, e.toString());
    }

    @Test
    void clientThatDoesNotTrustTheCertificateIsRefused() {
        // The JDK's default trust store does not know the self-signed certificate: the handshake must fail.
        assertThrows(MqttException.class, () -> connect("ssl://127.0.0.1:" + server.tlsPort(), "tls-untrusted",
                SSLContext.getDefault().getSocketFactory()));
    }

    @ParameterizedTest(name = "-V {0}")
    @ValueSource(strings = {"311", "5"})
    void mosquittoClientsOverTls(String version) {
        ExternalProcess.require("mosquitto_sub (package mosquitto-clients)", "sh", "-c", "command -v mosquitto_sub");
        String topic = "tls/cli/v" + version;
        String subId = "tls-cli-sub-v" + version;
        String cafile = TlsProfile.certificatePem().toString();
        String port = String.valueOf(server.tlsPort());
        try (ExternalProcess sub = ExternalProcess.start("mosquitto_sub", "-h", "127.0.0.1", "-p", port,
                "--cafile", cafile, "-V", version, "-i", subId, "-t", topic, "-q", "1", "-v", "-C", "1", "-W", "10")) {
            Subscriptions.awaitRouted(router, subId, topic, sub);
            ExternalProcess.run(Duration.ofSeconds(20), "mosquitto_pub", "-h", "127.0.0.1", "-p", port,
                    "--cafile", cafile, "-V", version, "-i", "tls-cli-pub-v" + version, "-q", "1", "-t", topic,
                    "-m", "encrypted").assertSuccess();
            Result got = sub.await(Duration.ofSeconds(20)).assertSuccess();
            assertEquals(topic + " encrypted\n", got.stdout());
        }
    }

    private void roundTrip(String uri, String name) throws Exception {
        SSLSocketFactory factory = ClientCertificates.socketFactory(null);
        MqttClient sub = connect(uri, name + "-sub", factory);
        MqttClient pub = connect(uri, name + "-pub", factory);
        try {
            BlockingQueue<String> got = new LinkedBlockingQueue<>();
            sub.subscribe(name + "/secret", 2, (topic, m) -> got.add(topic + "="
                    + new String(m.getPayload(), StandardCharsets.UTF_8) + "@" + m.getQos()));
            for (int qos = 1; qos <= 2; qos++) {
                pub.publish(name + "/secret", ("s" + qos).getBytes(StandardCharsets.UTF_8), qos, false);
                assertEquals(name + "/secret=s" + qos + "@" + qos, got.poll(5, TimeUnit.SECONDS));
            }
        } finally {
            pub.disconnect();
            sub.disconnect();
            pub.close();
            sub.close();
        }
    }

    private static MqttClient connect(String uri, String clientId, SocketFactory factory) throws MqttException {
        return connect(uri, clientId, factory, null);
    }

    /** A Paho 3.1.1 client connected through {@code factory}, with a username when one is given. */
    static MqttClient connect(String uri, String clientId, SocketFactory factory, String username)
            throws MqttException {
        MqttClient client = new MqttClient(uri, clientId, new MemoryPersistence());
        MqttConnectOptions options = new MqttConnectOptions();
        options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        options.setConnectionTimeout(5);
        options.setSocketFactory(factory);
        if (username != null) {
            options.setUserName(username);
        }
        // Paho checks the host name against the certificate's SAN (ip:127.0.0.1 here).
        options.setHttpsHostnameVerificationEnabled(true);
        try {
            client.connect(options);
        } catch (MqttException e) {
            client.close();
            throw e;
        }
        return client;
    }
}
