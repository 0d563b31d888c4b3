package io.conduit.mqtt;

import io.conduit.config.ConduitConfig;
import io.netty.channel.Channel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.TrustManagerFactory;
import java.io.File;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Locale;

/**
 * Builds the server TLS context from PEM files or a key store, with optional client certificates (mutual TLS);
 * none configured means no TLS listeners.
 */
final class TlsContexts {

    private TlsContexts() {
    }

    static SslContext fromConfig(ConduitConfig.Tls tls) throws Exception {
        SslContextBuilder builder;
        if (tls.certFile().isPresent() && tls.keyFile().isPresent()) {
            builder = SslContextBuilder.forServer(new File(tls.certFile().get()), new File(tls.keyFile().get()));
        } else if (tls.keyStore().isPresent()) {
            Path path = Path.of(tls.keyStore().get());
            char[] password = tls.keyStorePassword().orElse("").toCharArray();
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(load(path, password), password);
            builder = SslContextBuilder.forServer(kmf);
        } else {
            return null;
        }
        ClientAuth clientAuth = switch (tls.clientAuth().trim().toLowerCase(Locale.ROOT)) {
            case "none" -> ClientAuth.NONE;
            case "want" -> ClientAuth.OPTIONAL;
            case "require" -> ClientAuth.REQUIRE;
            default -> throw new IllegalStateException("conduit.mqtt.tls.client-auth must be none, want or require, "
                    + "not " + tls.clientAuth());
        };
        if (clientAuth != ClientAuth.NONE) {
            String trust = tls.trustFile().filter(f -> !f.isBlank()).orElseThrow(() -> new IllegalStateException(
                    "conduit.mqtt.tls.client-auth=" + tls.clientAuth() + " needs conduit.mqtt.tls.trust-file"));
            if (isKeyStore(trust)) {
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(load(Path.of(trust), tls.trustFilePassword().orElse("").toCharArray()));
                builder.trustManager(tmf);
            } else {
                builder.trustManager(new File(trust));
            }
            builder.clientAuth(clientAuth);
        }
        return builder.build();
    }

    private static boolean isKeyStore(String file) {
        String name = file.toLowerCase(Locale.ROOT);
        return name.endsWith(".p12") || name.endsWith(".pfx") || name.endsWith(".jks");
    }

    private static KeyStore load(Path path, char[] password) throws Exception {
        KeyStore store = KeyStore.getInstance(path.toString().endsWith(".jks") ? "JKS" : "PKCS12");
        try (InputStream in = Files.newInputStream(path)) {
            store.load(in, password);
        }
        return store;
    }

    /** The certificate a client presented and the handshake verified, or null (no TLS, or none presented). */
    static X509Certificate clientCertificate(Channel channel) {
        SslHandler ssl = channel.pipeline().get(SslHandler.class);
        if (ssl == null) {
            return null;
        }
        try {
            Certificate[] chain = ssl.engine().getSession().getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x ? x : null;
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }
}
