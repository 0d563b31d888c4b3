package io.conduit.security;

import io.conduit.config.ConduitConfig;
import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The authenticator in force until the authentication chain (device registry, Keycloak, plugins) replaces it: a
 * password that is a Keycloak token is checked when {@code conduit.security.keycloak.issuer} is set; other clients
 * get in only when anonymous access is allowed, since there is nothing else to check credentials against.
 */
@ApplicationScoped
@DefaultBean
public class AnonymousAuthenticator implements Authenticator {

    @Inject
    ConduitConfig config;

    @Inject
    KeycloakDeviceAuth keycloak;

    @Override
    public CompletionStage<AuthResult> authenticate(ConnectRequest request) {
        if (keycloak.enabled() && request.password() != null) {
            return keycloak.check(request.username(), request.password()).thenApply(decision -> {
                if (decision instanceof KeycloakDeviceTokens.Accepted) {
                    return AuthResult.accept();
                }
                if (decision instanceof KeycloakDeviceTokens.Denied denied) {
                    return AuthResult.failure(denied.reasonCode(), denied.reason());
                }
                return anonymous();
            });
        }
        return CompletableFuture.completedFuture(anonymous());
    }

    private AuthResult anonymous() {
        return config.security().allowAnonymous()
                ? AuthResult.accept()
                : AuthResult.failure(AuthResult.NOT_AUTHORIZED, "anonymous access is disabled");
    }
}
