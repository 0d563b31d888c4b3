package io.conduit.mqtt;

import io.conduit.testing.ClientCertificates;
import io.conduit.testing.ExternalProcess;
import io.conduit.testing.TlsProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.net.SocketFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Mutual TLS: client certificates issued by a test CA, asked for ({@code client-auth=want}) on the TLS and WSS
 * listeners, the certificate's CN as the username for authentication and ACLs, anonymous access off.
 */
@QuarkusTest
@TestProfile(MutualTlsTest.Profile.class)
class MutualTlsTest {

    public static class Profile extends TlsProfile {

        static final Path ACL;

        static {
            try {
                ACL = Files.createTempDirectory("conduit-mtls-acl-").resolve("acl.yaml");
                Files.writeString(ACL, """
                        default: deny
                        rules:
                          - allow: all
                            topic: users/%u/#
                          - allow: subscribe
                            topic: '#'
                            to: user:watcher
                        """);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new HashMap<>(super.getConfigOverrides());
            config.put("conduit.mqtt.tls.client-auth", "want");
            config.put("conduit.mqtt.tls.trust-file", ClientCertificates.caPem().toString());
            config.put("conduit.security.certificate-identity", "cn");
            config.put("conduit.security.allow-anonymous", "false");
            config.put("conduit.security.acl-file", ACL.toString());
            return config;
        }
    }

    @Inject
    MqttServer server;

    private MqttClient watcher;
    private final BlockingQueue<String> seen = new LinkedBlockingQueue<>();

    @BeforeEach
    void watch() throws Exception {
        watcher = connect(tls(), "mtls-watcher", "watcher", null);
        watcher.subscribe("users/#", 1, (topic, m) -> seen.add(topic + "="
                + new String(m.getPayload(), StandardCharsets.UTF_8)));
    }

    @AfterEach
    void unwatch() throws Exception {
        watcher.disconnect();
        watcher.close();
    }

    private String tls() {
        return "ssl://127.0.0.1:" + server.tlsPort();
    }

    private static MqttClient connect(String uri, String clientId, String certificate, String username)
            throws MqttException {
        return TlsTest.connect(uri, clientId, ClientCertificates.socketFactory(certificate), username);
    }

    private static void close(MqttClient client) throws MqttException {
        client.disconnect();
        client.close();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tls", "wss"})
    void theCertificatesCommonNameIsTheUsernameForTheAcl(String listener) throws Exception {
        String uri = listener.equals("tls") ? tls() : "wss://127.0.0.1:" + server.wssPort() + "/mqtt";
        MqttClient sensor = connect(uri, "mtls-sensor-" + listener, "sensor-7", null);
        try {
            // Publishing outside users/sensor-7/ is dropped (3.1.1); the message after it shows nothing came first.
            sensor.publish("users/other/x", "no".getBytes(StandardCharsets.UTF_8), 1, false);
            sensor.publish("users/sensor-7/x", listener.getBytes(StandardCharsets.UTF_8), 1, false);
            assertEquals("users/sensor-7/x=" + listener, seen.poll(5, TimeUnit.SECONDS));
        } finally {
            close(sensor);
        }
    }

    @Test
    void aConnectUsernameMayRepeatTheCertificateIdentityButNotReplaceIt() throws Exception {
        close(connect(tls(), "mtls-same-name", "sensor-7", "sensor-7"));
        MqttException e = assertThrows(MqttException.class,
                () -> connect(tls(), "mtls-other-name", "sensor-7", "watcher"));
        assertEquals(MqttException.REASON_CODE_FAILED_AUTHENTICATION, e.getReasonCode(), e.toString());
    }

    @Test
    void withoutACertificateTheClientIsAnonymousAndRefused() {
        // client-auth=want lets the handshake through; anonymous access is off, so CONNECT is refused.
        MqttException overTls = assertThrows(MqttException.class,
                () -> connect(tls(), "mtls-none", (String) null, "watcher"));
        assertEquals(MqttException.REASON_CODE_NOT_AUTHORIZED, overTls.getReasonCode(), overTls.toString());
        MqttException overTcp = assertThrows(MqttException.class, () -> TlsTest.connect("tcp://127.0.0.1:"
                + server.tcpPort(), "mtls-tcp", SocketFactory.getDefault(), "watcher"));
        assertEquals(MqttException.REASON_CODE_NOT_AUTHORIZED, overTcp.getReasonCode(), overTcp.toString());
    }

    @ParameterizedTest(name = "-V {0}")
    @ValueSource(strings = {"311", "5"})
    void mosquittoPubWithCertAndKey(String version) throws Exception {
        String topic = "users/sensor-7/cli-v" + version;
        mosquittoPub("sensor-7", version, topic).assertSuccess();
        assertEquals(topic + "=signed", seen.poll(5, TimeUnit.SECONDS));
    }

    @Test
    void aCertificateFromAnotherIssuerFailsTheHandshake() throws Exception {
        // mosquitto_pub presents its certificate whatever CAs the broker names (a JDK client would send none).
        ExternalProcess.Result rogue = mosquittoPub("rogue", "311", "users/rogue/x");
        String output = (rogue.stdout() + rogue.stderr()).toLowerCase(java.util.Locale.ROOT);
        assertNotEquals(0, rogue.exitCode(), output);
        // Dropped by the TLS layer (with TLS 1.3 the client learns it as "the connection was lost"), not refused by
        // a CONNACK ("Connection Refused: not authorised"), which is what a client without a certificate gets.
        assertTrue(output.contains("connection was lost") || output.contains("tls"), output);
        assertFalse(output.contains("refused"), output);
        assertNull(seen.poll(1, TimeUnit.SECONDS));
    }

    private ExternalProcess.Result mosquittoPub(String certificate, String version, String topic) {
        ExternalProcess.require("mosquitto_pub (package mosquitto-clients)", "sh", "-c", "command -v mosquitto_pub");
        return ExternalProcess.run(Duration.ofSeconds(20), "mosquitto_pub", "-h", "127.0.0.1",
                "-p", String.valueOf(server.tlsPort()), "--cafile", TlsProfile.certificatePem().toString(),
                "--cert", ClientCertificates.certificatePem(certificate).toString(),
                "--key", ClientCertificates.keyPem(certificate).toString(),
                "-V", version, "-i", "mtls-cli-" + certificate + "-v" + version, "-q", "1", "-t", topic,
                "-m", "signed");
    }
}
