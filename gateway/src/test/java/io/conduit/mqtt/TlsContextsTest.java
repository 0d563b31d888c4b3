package io.conduit.mqtt;

import io.conduit.config.ConduitConfig;
import io.conduit.testing.ClientCertificates;
import io.conduit.testing.TlsProfile;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLEngine;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How the TLS settings become the server's SSL context, client certificates included. */
class TlsContextsTest {

    private static ConduitConfig.Tls tls(String clientAuth, String trustFile, String trustPassword) {
        return tls(TlsProfile.keyStore().toString(), clientAuth, trustFile, trustPassword);
    }

    private static ConduitConfig.Tls tls(String keyStore, String clientAuth, String trustFile, String trustPassword) {
        return new ConduitConfig.Tls() {
            public Optional<String> certFile() {
                return Optional.empty();
            }

            public Optional<String> keyFile() {
                return Optional.empty();
            }

            public Optional<String> keyStore() {
                return Optional.ofNullable(keyStore);
            }

            public Optional<String> keyStorePassword() {
                return Optional.of(TlsProfile.PASSWORD);
            }

            public String clientAuth() {
                return clientAuth;
            }

            public Optional<String> trustFile() {
                return Optional.ofNullable(trustFile);
            }

            public Optional<String> trustFilePassword() {
                return Optional.ofNullable(trustPassword);
            }
        };
    }

    private static SSLEngine engine(ConduitConfig.Tls tls) throws Exception {
        SslContext context = TlsContexts.fromConfig(tls);
        return context.newEngine(ByteBufAllocator.DEFAULT);
    }

    @Test
    void clientAuthModes() throws Exception {
        String ca = ClientCertificates.caPem().toString();
        SSLEngine none = engine(tls("none", null, null));
        assertFalse(none.getNeedClientAuth() || none.getWantClientAuth());
        assertTrue(engine(tls("want", ca, null)).getWantClientAuth());
        assertTrue(engine(tls("require", ca, null)).getNeedClientAuth());
        // A PKCS#12 trust store works as well as a PEM bundle.
        assertTrue(engine(tls("require", ClientCertificates.keyStore("watcher").toString(),
                ClientCertificates.PASSWORD)).getNeedClientAuth());
    }

    @Test
    void badSettingsStopStartup() {
        IllegalStateException noTrust = assertThrows(IllegalStateException.class,
                () -> TlsContexts.fromConfig(tls("require", null, null)));
        assertEquals("conduit.mqtt.tls.client-auth=require needs conduit.mqtt.tls.trust-file", noTrust.getMessage());
        IllegalStateException bad = assertThrows(IllegalStateException.class,
                () -> TlsContexts.fromConfig(tls("optional", null, null)));
        assertEquals("conduit.mqtt.tls.client-auth must be none, want or require, not optional", bad.getMessage());
    }

    @Test
    void noCertificateNoContext() throws Exception {
        assertNull(TlsContexts.fromConfig(tls(null, "require", null, null)));
    }
}
