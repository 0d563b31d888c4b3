package io.conduit.testing;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Turns on the TLS and secure WebSocket listeners, on free ports, with a self-signed certificate for localhost and
 * 127.0.0.1 that the JDK's keytool makes once per test JVM in a temporary folder.
 */
public class TlsProfile implements QuarkusTestProfile {

    public static final String PASSWORD = "conduit-test";
    private static final String ALIAS = "conduit";

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                "conduit.mqtt.tls.key-store", Material.KEY_STORE.toString(),
                "conduit.mqtt.tls.key-store-password", PASSWORD,
                "conduit.mqtt.tls-port", "0",
                "conduit.mqtt.wss-port", "0");
    }

    /** The PKCS#12 key store the broker serves (private key and self-signed certificate). */
    public static Path keyStore() {
        return Material.KEY_STORE;
    }

    /** The certificate in PEM, for clients such as mosquitto_sub --cafile. */
    public static Path certificatePem() {
        return Material.CERT_PEM;
    }

    /** A trust store holding only the broker's certificate, for Java clients. */
    public static KeyStore trustStore() {
        try (InputStream in = Files.newInputStream(Material.CERT_PEM)) {
            Certificate cert = CertificateFactory.getInstance("X.509").generateCertificate(in);
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry(ALIAS, cert);
            return trust;
        } catch (Exception e) {
            throw new IllegalStateException("cannot read " + Material.CERT_PEM, e);
        }
    }

    /** Made on first use, once per JVM, however often Quarkus asks for the profile's configuration. */
    private static final class Material {
        static final Path DIR;
        static final Path KEY_STORE;
        static final Path CERT_PEM;

        static {
            try {
                DIR = Files.createTempDirectory("conduit-tls");
                KEY_STORE = DIR.resolve("broker.p12");
                CERT_PEM = DIR.resolve("broker.pem");
                DIR.toFile().deleteOnExit();
                KEY_STORE.toFile().deleteOnExit();
                CERT_PEM.toFile().deleteOnExit();
                keytool("-genkeypair", "-alias", ALIAS, "-keyalg", "RSA", "-keysize", "2048",
                        "-storetype", "PKCS12", "-keystore", KEY_STORE.toString(),
                        "-storepass", PASSWORD, "-keypass", PASSWORD, "-validity", "2",
                        "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1");
                keytool("-exportcert", "-rfc", "-alias", ALIAS, "-keystore", KEY_STORE.toString(),
                        "-storetype", "PKCS12", "-storepass", PASSWORD, "-file", CERT_PEM.toString());
            } catch (IOException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    /** Runs the JDK's keytool; fails with its output when it fails. */
    static void keytool(String... args) throws IOException {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> cmd = new ArrayList<>();
        cmd.add(Files.isExecutable(keytool) ? keytool.toString() : "keytool");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("keytool did not finish within 60 s: " + cmd);
            }
            String out = new String(p.getInputStream().readAllBytes());
            if (p.exitValue() != 0) {
                throw new IOException("keytool failed: " + cmd + "\n" + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
