package io.conduit.security;

import io.conduit.api.mqtt.ClientInfo;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The {@code keycloak} link of the authentication chain: a password that is an access token of the configured realm
 * ({@link KeycloakDeviceAuth}) accepts the client as the token's user with its groups claim as ACL groups; a token
 * that fails a check denies (0x86); anything else, or no realm configured, is NEXT.
 */
@ApplicationScoped
public class KeycloakAuthenticationProvider implements AuthenticationProvider {

    @Inject
    KeycloakDeviceAuth keycloak;

    @Override
    public String id() {
        return "keycloak";
    }

    @Override
    public CompletionStage<AuthResult> authenticate(ConnectRequest request, ClientInfo client) {
        if (!keycloak.enabled() || request.password() == null) {
            return CompletableFuture.completedFuture(AuthResult.next());
        }
        return keycloak.check(request.username(), request.password()).thenApply(decision -> {
            if (decision instanceof KeycloakDeviceTokens.Accepted accepted) {
                return AuthResult.accept(new AuthResult.Identity(accepted.identity(), Set.copyOf(accepted.groups()),
                        null));
            }
            if (decision instanceof KeycloakDeviceTokens.Denied denied) {
                return AuthResult.failure(denied.reasonCode(), denied.reason());
            }
            return AuthResult.next();
        });
    }
}
