package io.conduit.testing;

import io.conduit.security.AuthExchange;
import io.conduit.security.AuthResult;
import io.conduit.security.ConnectRequest;
import io.conduit.security.EnhancedAuthenticator;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A two-step enhanced authentication method for tests: the client opens with "hello", is challenged with "2+2?" and
 * must answer "4". Only clients naming {@link #METHOD} reach it, so it does not disturb other tests.
 */
@ApplicationScoped
public class ChallengeAuthenticator implements EnhancedAuthenticator {

    public static final String METHOD = "conduit-test-challenge";
    public static final String HELLO = "hello";
    public static final String CHALLENGE = "2+2?";
    public static final String ANSWER = "4";

    @Override
    public String method() {
        return METHOD;
    }

    @Override
    public AuthExchange begin(ConnectRequest request) {
        return new AuthExchange() {
            private boolean challenged;

            @Override
            public CompletionStage<Step> next(byte[] clientData) {
                String data = clientData == null ? "" : new String(clientData, StandardCharsets.UTF_8);
                Step step;
                if (!challenged) {
                    challenged = true;
                    step = HELLO.equals(data) ? new Continue(utf8(CHALLENGE))
                            : new Failure(AuthResult.NOT_AUTHORIZED, "expected " + HELLO);
                } else {
                    step = ANSWER.equals(data) ? new Success(utf8("welcome " + request.clientId()))
                            : new Failure(AuthResult.NOT_AUTHORIZED, "wrong answer");
                }
                // Completes on another thread, as a real method checking a credential store would.
                return CompletableFuture.supplyAsync(() -> step);
            }
        };
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
