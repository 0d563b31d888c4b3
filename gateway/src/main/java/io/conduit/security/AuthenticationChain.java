package io.conduit.security;

import io.conduit.api.mqtt.ClientInfo;
import io.conduit.config.ConduitConfig;
import io.quarkus.arc.DefaultBean;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The broker's authenticator: asks the providers of {@code conduit.security.auth-chain} in order until one accepts
 * or denies. When none does, a client that presented no password gets in anonymously if
 * {@code conduit.security.allow-anonymous} is set; otherwise it is refused: 0x86 Bad user name or password when it
 * presented a password, 0x87 Not authorized when not. A username alone is not a credential.
 */
@ApplicationScoped
@DefaultBean
public class AuthenticationChain implements Authenticator {

    @Inject
    ConduitConfig config;

    @Inject
    Instance<AuthenticationProvider> providers;

    private volatile List<AuthenticationProvider> chain;

    /** Fails startup on an unknown provider name, rather than at the first CONNECT. */
    void validate(@Observes StartupEvent event) {
        chain();
    }

    List<AuthenticationProvider> chain() {
        List<AuthenticationProvider> c = chain;
        if (c == null) {
            Map<String, AuthenticationProvider> byId = new LinkedHashMap<>();
            providers.forEach(p -> byId.put(p.id(), p));
            c = new ArrayList<>();
            for (String id : config.security().authChain()) {
                AuthenticationProvider p = byId.get(id.trim());
                if (p == null) {
                    throw new IllegalStateException("conduit.security.auth-chain: unknown provider '" + id.trim()
                            + "' (known: " + String.join(", ", byId.keySet()) + ")");
                }
                if (!c.contains(p)) {
                    c.add(p);
                }
            }
            chain = c = List.copyOf(c);
        }
        return c;
    }

    @Override
    public CompletionStage<AuthResult> authenticate(ConnectRequest request, ClientInfo client) {
        CompletionStage<AuthResult> result = CompletableFuture.completedFuture(AuthResult.next());
        for (AuthenticationProvider p : chain()) {
            result = result.thenCompose(r -> r.verdict() != AuthResult.Verdict.NEXT
                    ? CompletableFuture.completedFuture(r) : p.authenticate(request, client));
        }
        return result.thenApply(r -> r.verdict() != AuthResult.Verdict.NEXT ? r : nobodyDecided(request));
    }

    private AuthResult nobodyDecided(ConnectRequest request) {
        if (request.password() != null) {
            return AuthResult.failure(AuthResult.BAD_USERNAME_OR_PASSWORD, "bad user name or password");
        }
        if (config.security().allowAnonymous()) {
            return AuthResult.accept();
        }
        return AuthResult.failure(AuthResult.NOT_AUTHORIZED, "anonymous access is disabled");
    }
}
