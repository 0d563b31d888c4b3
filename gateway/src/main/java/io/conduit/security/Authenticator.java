package io.conduit.security;

import io.conduit.api.mqtt.ClientInfo;

import java.util.concurrent.CompletionStage;

/**
 * Decides whether a CONNECT with plain credentials (or none) may proceed: accepted or denied, never NEXT.
 * Implementations may complete on any thread; the connection returns to its event loop with the result.
 */
public interface Authenticator {

    CompletionStage<AuthResult> authenticate(ConnectRequest request, ClientInfo client);
}
