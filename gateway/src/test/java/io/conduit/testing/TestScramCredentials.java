package io.conduit.testing;

import io.conduit.security.ScramCredential;
import io.conduit.security.ScramCredentials;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * SCRAM credentials for tests, in place of the device registry: one user, {@link #USER} with {@link #PASSWORD}.
 * Answers on another thread, as a database would.
 */
@ApplicationScoped
public class TestScramCredentials implements ScramCredentials {

    public static final String USER = "scram-user";
    public static final String PASSWORD = "pencil-\u00e9t\u00e9";
    public static final int ITERATIONS = 4096;

    private static final Map<String, ScramCredential> USERS = Map.of(USER, ScramCredential.fromPassword(PASSWORD,
            "conduit-salt-16b".getBytes(StandardCharsets.UTF_8), ITERATIONS));

    @Override
    public CompletionStage<Optional<ScramCredential>> lookup(String username) {
        return CompletableFuture.supplyAsync(() -> Optional.ofNullable(USERS.get(username)));
    }
}
