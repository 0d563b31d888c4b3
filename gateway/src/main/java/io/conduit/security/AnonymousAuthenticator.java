package io.conduit.security;

import io.conduit.config.ConduitConfig;
import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The authenticator in force until a credential store provides another: lets clients in when anonymous access is
 * allowed, since there is nothing to check credentials against, and clients whose username is the identity of a
 * client certificate the TLS handshake verified.
 */
@ApplicationScoped
@DefaultBean
public class AnonymousAuthenticator implements Authenticator {

    @Inject
    ConduitConfig config;

    @Override
    public CompletionStage<AuthResult> authenticate(ConnectRequest request) {
        AuthResult result = config.security().allowAnonymous() || request.certificateIdentity()
                ? AuthResult.accept()
                : AuthResult.failure(AuthResult.NOT_AUTHORIZED, "anonymous access is disabled");
        return CompletableFuture.completedFuture(result);
    }
}
