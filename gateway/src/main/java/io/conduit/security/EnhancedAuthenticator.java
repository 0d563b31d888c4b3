package io.conduit.security;

/**
 * An MQTT 5.0 enhanced authentication method (AUTH packets), such as SCRAM-SHA-256. One {@link AuthExchange} is
 * started per CONNECT or re-authentication.
 */
public interface EnhancedAuthenticator {

    /** The Authentication Method name clients send, e.g. {@code SCRAM-SHA-256}. */
    String method();

    AuthExchange begin(ConnectRequest request);

    /** Starts a re-authentication (AUTH 0x19) of a connected client; the same as {@link #begin} unless overridden. */
    default AuthExchange beginReauthentication(ConnectRequest request) {
        return begin(request);
    }
}
