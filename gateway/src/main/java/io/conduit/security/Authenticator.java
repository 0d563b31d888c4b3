package io.conduit.security;

import java.util.concurrent.CompletionStage;

/**
 * Decides whether a CONNECT with plain credentials (or none) may proceed. Implementations may complete on any
 * thread; the connection returns to its event loop with the result.
 */
public interface Authenticator {

    CompletionStage<AuthResult> authenticate(ConnectRequest request);
}
