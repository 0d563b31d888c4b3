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

    /**
     * Decides on one CONNECT.
     *
     * @param input what the client presented
     * @return the decision
     */
    default CompletionStage<AuthDecision> authenticate(AuthInput input) {
        return CompletableFuture.completedFuture(AuthDecision.next());
    }

    /**
     * What the client presented. The password is a copy; nothing here outlives the call unless the plugin keeps it.
     *
     * @param client   the client (id, user name, protocol, address)
     * @param password the password of CONNECT, if any
     */
    record AuthInput(ClientInfo client, Optional<byte[]> password) {
    }

    /**
     * An authentication answer.
     *
     * @param outcome    accept, deny or pass to the next authenticator
     * @param reasonCode for a denial, the MQTT 5.0 CONNACK reason code (0x86 bad user name or password, 0x87 not
     *                   authorized, 0x8C bad authentication method ...); 3.x clients get the nearest 3.1.1 code
     * @param reason     for a denial, a reason string for 5.0 clients, or null
     */
    record AuthDecision(Outcome outcome, int reasonCode, String reason) {

        /** The kind of answer. */
        public enum Outcome {
            /** Authenticated; the chain stops. */
            ACCEPT,
            /** Refused; the chain stops. */
            DENY,
            /** No opinion; the next authenticator decides. */
            NEXT
        }

        /**
         * Accepts the client.
         *
         * @return the decision
         */
        public static AuthDecision accept() {
            return new AuthDecision(Outcome.ACCEPT, 0, null);
        }

        /**
         * Refuses the client.
         *
         * @param reasonCode a CONNACK failure code, 0x80 or above
         * @param reason     a reason string, or null
         * @return the decision
         */
        public static AuthDecision deny(int reasonCode, String reason) {
            return new AuthDecision(Outcome.DENY, reasonCode, reason);
        }

        /**
         * Leaves the decision to the next authenticator.
         *
         * @return the decision
         */
        public static AuthDecision next() {
            return new AuthDecision(Outcome.NEXT, 0, null);
        }
    }
}
