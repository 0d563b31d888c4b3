package io.conduit.security;

import io.conduit.config.ConduitConfig;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The {@code keycloak} provider for the authentication chain: {@link KeycloakDeviceTokens} set up from
 * {@code conduit.security.keycloak.*}, checking on two threads of its own with a bounded queue (a full queue answers
 * 0x88 Server unavailable rather than growing). Without {@code conduit.security.keycloak.issuer} every password is
 * {@link KeycloakDeviceTokens.NotAToken}.
 */
@ApplicationScoped
public class KeycloakDeviceAuth {

    @Inject
    ConduitConfig config;

    private ThreadPoolExecutor workers;
    private KeycloakDeviceTokens tokens;

    @PostConstruct
    void init() {
        ConduitConfig.Keycloak k = config.security().keycloak();
        if (k.issuer().isEmpty()) {
            return;
        }
        workers = new ThreadPoolExecutor(2, 2, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(10_000), r -> {
            Thread t = new Thread(r, "conduit-keycloak-tokens");
            t.setDaemon(true);
            return t;
        });
        tokens = new KeycloakDeviceTokens(k.issuer().get(), k.jwksUrl().orElse(null), k.audience(), k.groupsClaim(),
                k.clockSkew(), k.jwksRefresh(), workers);
    }

    public boolean enabled() {
        return tokens != null;
    }

    /** See {@link KeycloakDeviceTokens#check}; never blocks the caller. */
    public CompletionStage<KeycloakDeviceTokens.Decision> check(String username, byte[] password) {
        if (tokens == null) {
            return CompletableFuture.completedFuture(new KeycloakDeviceTokens.NotAToken());
        }
        return tokens.check(username, password);
    }

    @PreDestroy
    void stop() {
        if (workers != null) {
            workers.shutdownNow();
        }
    }
}
