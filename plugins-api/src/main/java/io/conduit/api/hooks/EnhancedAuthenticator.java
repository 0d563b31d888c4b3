package io.conduit.api.hooks;

import io.conduit.api.mqtt.ClientInfo;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * An MQTT 5.0 enhanced authentication method (AUTH challenge/response, e.g. SCRAM or a token exchange), chosen by
 * the Authentication Method a client names in CONNECT. When several plugins offer the same method, the one with the
 * highest priority serves it; a plugin method overrides a built-in one of the same name. A client that uses enhanced
 * authentication is not asked of the simple {@link Authenticator}s.
 */
public interface EnhancedAuthenticator {

    /**
     * The Authentication Method this authenticator serves.
     *
     * @return the method name clients send, e.g. {@code SCRAM-SHA-256}
     */
    String method();

    /**
     * Starts one conversation: for a CONNECT, or for a re-authentication (AUTH 0x19) on a live connection. Called on
     * the plugin's threads; keep per-conversation state in the returned object.
     *
     * @param client           the client (on CONNECT its session is not open yet)
     * @param reauthentication true for a re-authentication of a connected client
     * @return the conversation
     */
    AuthConversation begin(ClientInfo client, boolean reauthentication);

    /** One challenge/response conversation. The broker calls {@link #next} once per client message, in order. */
    interface AuthConversation {

        /**
         * Consumes the client's Authentication Data (from CONNECT or AUTH) and says what comes next.
         *
         * @param clientData the client's Authentication Data, if it sent any
         * @return the next step; the time limit of plugin calls applies to each step
         */
        CompletionStage<AuthStep> next(Optional<byte[]> clientData);
    }

    /**
     * A step of the conversation.
     *
     * @param outcome    continue (challenge), success or failure
     * @param data       Authentication Data for the client (AUTH 0x18 for a challenge; CONNACK or AUTH 0x00 on
     *                   success), or null
     * @param reasonCode for a failure, the CONNACK (on CONNECT) or DISCONNECT (on re-authentication) reason code
     * @param reason     for a failure, a reason string, or null
     */
    record AuthStep(Outcome outcome, byte[] data, int reasonCode, String reason) {

        /** What the step does. */
        public enum Outcome {
            /** Send the data in AUTH 0x18 and wait for the client's answer. */
            CONTINUE,
            /** The client is authenticated. */
            SUCCESS,
            /** The client is refused. */
            FAILURE
        }

        /**
         * Challenges the client.
         *
         * @param data the challenge
         * @return the step
         */
        public static AuthStep challenge(byte[] data) {
            return new AuthStep(Outcome.CONTINUE, data == null ? null : data.clone(), 0, null);
        }

        /**
         * Accepts the client.
         *
         * @param data final Authentication Data for the client, or null
         * @return the step
         */
        public static AuthStep success(byte[] data) {
            return new AuthStep(Outcome.SUCCESS, data == null ? null : data.clone(), 0, null);
        }

        /**
         * Refuses the client.
         *
         * @param reasonCode 0x80 or above (0x87 not authorized, 0x86 bad user name or password, 0x8C bad
         *                   authentication method ...)
         * @param reason     a reason string, or null
         * @return the step
         */
        public static AuthStep failure(int reasonCode, String reason) {
            return new AuthStep(Outcome.FAILURE, null, reasonCode, reason);
        }
    }
}
