package io.conduit.mqtt;

import io.conduit.config.ConduitConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;

import javax.net.ssl.KeyManagerFactory;
import java.io.File;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;

/** Builds the server TLS context from PEM files or a key store; none configured means no TLS listeners. */
final class TlsContexts {

    private TlsContexts() {
    }

    static SslContext fromConfig(ConduitConfig.Tls tls) throws Exception {
        if (tls.certFile().isPresent() && tls.keyFile().isPresent()) {
            return SslContextBuilder.forServer(new File(tls.certFile().get()), new File(tls.keyFile().get())).build();
        }
        if (tls.keyStore().isPresent()) {
            Path path = Path.of(tls.keyStore().get());
            char[] password = tls.keyStorePassword().orElse("").toCharArray();
            String type = path.toString().endsWith(".jks") ? "JKS" : "PKCS12";
            KeyStore store = KeyStore.getInstance(type);
            try (InputStream in = Files.newInputStream(path)) {
                store.load(in, password);
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store, password);
            return SslContextBuilder.forServer(kmf).build();
        }
        return null;
    }
}
