package io.conduit.security;

import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Until a credential store provides SCRAM credentials, nobody has one: every SCRAM-SHA-256 attempt fails. */
@ApplicationScoped
@DefaultBean
public class NoScramCredentials implements ScramCredentials {

    @Override
    public CompletionStage<Optional<ScramCredential>> lookup(String username) {
        return CompletableFuture.completedFuture(Optional.empty());
    }
}
