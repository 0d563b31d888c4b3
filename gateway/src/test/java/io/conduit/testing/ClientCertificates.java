package io.conduit.testing;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A test CA and client certificates it issued, made with the JDK's keytool once per test JVM in a temporary folder:
 * {@code sensor-7} (CN=sensor-7, O=Conduit; SAN dns:sensor-7.devices.example, email:ops@example.com), {@code watcher}
 * (CN=watcher) and {@code rogue} (CN=rogue, self-signed: no trusted CA issued it).
 */
public final class ClientCertificates {

    public static final String PASSWORD = "conduit-test";

    private ClientCertificates() {
    }

    /** The CA certificate in PEM: the broker's {@code conduit.mqtt.tls.trust-file}. */
    public static Path caPem() {
        return Material.CA_PEM;
    }

    /** PKCS#12 key store with the client's key and its chain, alias {@code client}. */
    public static Path keyStore(String name) {
        return Material.DIR.resolve(name + ".p12");
    }

    /** The client certificate in PEM, for mosquitto_pub --cert. */
    public static Path certificatePem(String name) {
        return Material.DIR.resolve(name + ".pem");
    }

    /** The client's private key in PEM (PKCS#8), for mosquitto_pub --key. */
    public static Path keyPem(String name) {
        return Material.DIR.resolve(name + ".key");
    }

    public static X509Certificate certificate(String name) {
        try (InputStream in = Files.newInputStream(certificatePem(name))) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A socket factory presenting the client's certificate ({@code name} null: none) and trusting only the test
     * broker's certificate.
     */
    public static SSLSocketFactory socketFactory(String name) {
        try {
            KeyManagerFactory kmf = null;
            if (name != null) {
                KeyStore keys = KeyStore.getInstance("PKCS12");
                try (InputStream in = Files.newInputStream(keyStore(name))) {
                    keys.load(in, PASSWORD.toCharArray());
                }
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, PASSWORD.toCharArray());
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(TlsProfile.trustStore());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return context.getSocketFactory();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static final class Material {
        static final Path DIR;
        static final Path CA_PEM;

        static {
            try {
                DIR = Files.createTempDirectory("conduit-client-certs");
                DIR.toFile().deleteOnExit();
                Path ca = DIR.resolve("ca.p12");
                CA_PEM = DIR.resolve("ca.pem");
                keyPair(ca, "ca", "CN=Conduit Test CA", "-ext", "bc:c");
                TlsProfile.keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.toString(),
                        "-storepass", PASSWORD, "-file", CA_PEM.toString());
                issue(ca, "sensor-7", "CN=sensor-7, O=Conduit",
                        "SAN=dns:sensor-7.devices.example,email:ops@example.com");
                issue(ca, "watcher", "CN=watcher", null);
                keyPair(DIR.resolve("rogue.p12"), "client", "CN=rogue");
                TlsProfile.keytool("-exportcert", "-rfc", "-alias", "client", "-keystore",
                        DIR.resolve("rogue.p12").toString(), "-storepass", PASSWORD,
                        "-file", DIR.resolve("rogue.pem").toString());
                writeKeyPem("rogue");
                DIR.toFile().listFiles(f -> {
                    f.deleteOnExit();
                    return false;
                });
            } catch (Exception e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private static void keyPair(Path store, String alias, String dname, String... extra) throws IOException {
            List<String> args = new ArrayList<>(List.of("-genkeypair", "-alias", alias, "-keyalg", "RSA",
                    "-keysize", "2048", "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", PASSWORD,
                    "-keypass", PASSWORD, "-validity", "2", "-dname", dname));
            args.addAll(List.of(extra));
            TlsProfile.keytool(args.toArray(new String[0]));
        }

        private static void issue(Path ca, String name, String dname, String san) throws Exception {
            Path store = DIR.resolve(name + ".p12");
            Path csr = DIR.resolve(name + ".csr");
            Path pem = DIR.resolve(name + ".pem");
            keyPair(store, "client", dname);
            TlsProfile.keytool("-certreq", "-alias", "client", "-keystore", store.toString(), "-storepass", PASSWORD,
                    "-file", csr.toString());
            List<String> gencert = new ArrayList<>(List.of("-gencert", "-alias", "ca", "-keystore", ca.toString(),
                    "-storepass", PASSWORD, "-infile", csr.toString(), "-outfile", pem.toString(), "-rfc",
                    "-validity", "2", "-ext", "eku=clientAuth"));
            if (san != null) {
                gencert.addAll(List.of("-ext", san));
            }
            TlsProfile.keytool(gencert.toArray(new String[0]));
            TlsProfile.keytool("-importcert", "-alias", "ca", "-keystore", store.toString(), "-storepass", PASSWORD,
                    "-file", CA_PEM.toString(), "-noprompt");
            TlsProfile.keytool("-importcert", "-alias", "client", "-keystore", store.toString(),
                    "-storepass", PASSWORD, "-file", pem.toString(), "-noprompt");
            writeKeyPem(name);
        }

        /** The private key as PKCS#8 PEM, which mosquitto reads. */
        private static void writeKeyPem(String name) throws Exception {
            Path store = DIR.resolve(name + ".p12");
            KeyStore keys = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                keys.load(in, PASSWORD.toCharArray());
            }
            Key key = keys.getKey("client", PASSWORD.toCharArray());
            String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                    .encodeToString(key.getEncoded());
            Files.writeString(DIR.resolve(name + ".key"),
                    "-----BEGIN PRIVATE KEY-----\n" + body + "\n-----END PRIVATE KEY-----\n");
        }
    }
}
