package io.conduit.api.hooks;

import io.conduit.api.mqtt.ClientInfo;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Decides on a CONNECT. Authenticators form a chain in plugin priority order: the first that does not answer
 * {@link AuthDecision#next()} decides; when all pass, the broker's own rules decide.
 */
public interface Authenticator {

    default CompletionStage<AuthDecision> authenticate(AuthInput input) {
        return CompletableFuture.completedFuture(AuthDecision.next());
    }

    /** What the client presented. The password is a copy; nothing here outlives the call unless the plugin keeps it. */
    record AuthInput(ClientInfo client, Optional<byte[]> password) {
    }

    /**
     * An authentication answer.
     *
     * @param outcome    accept, deny or pass to the next authenticator
     * @param reasonCode for a denial, the MQTT 5.0 CONNACK reason code (0x86 bad user name or password, 0x87 not
     *                   authorized, 0x8C bad authentication method ...); 3.x clients get the nearest 3.1.1 code
     */
    record AuthDecision(Outcome outcome, int reasonCode, String reason) {

        public enum Outcome { ACCEPT, DENY, NEXT }

        public static AuthDecision accept() {
            return new AuthDecision(Outcome.ACCEPT, 0, null);
        }

        public static AuthDecision deny(int reasonCode, String reason) {
            return new AuthDecision(Outcome.DENY, reasonCode, reason);
        }

        public static AuthDecision next() {
            return new AuthDecision(Outcome.NEXT, 0, null);
        }
    }
}
