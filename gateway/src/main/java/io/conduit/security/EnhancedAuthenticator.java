package io.conduit.security;

/**
 * An MQTT 5.0 enhanced authentication method (AUTH packets), such as SCRAM-SHA-256. One {@link AuthExchange} is
 * started per CONNECT or re-authentication.
 */
public interface EnhancedAuthenticator {

    /** The Authentication Method name clients send, e.g. {@code SCRAM-SHA-256}. */
    String method();

    AuthExchange begin(ConnectRequest request);
}
