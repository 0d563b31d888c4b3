package io.conduit.plugin;

import io.conduit.api.mqtt.ClientInfo;
import io.conduit.security.AuthResult;
import io.conduit.security.AuthenticationProvider;
import io.conduit.security.ConnectRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** The {@code plugins} link of the authentication chain: the plugins' authenticators, in plugin priority order. */
@ApplicationScoped
public class PluginAuthenticationProvider implements AuthenticationProvider {

    @Inject
    PluginHooks hooks;

    @Override
    public String id() {
        return "plugins";
    }

    @Override
    public CompletionStage<AuthResult> authenticate(ConnectRequest request, ClientInfo client) {
        if (!hooks.hasAuthenticators()) {
            return CompletableFuture.completedFuture(AuthResult.next());
        }
        return hooks.authenticate(request, client).thenApply(r -> r == null ? AuthResult.next() : r);
    }
}
