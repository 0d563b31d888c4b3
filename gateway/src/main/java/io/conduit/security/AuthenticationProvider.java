package io.conduit.security;

import io.conduit.api.mqtt.ClientInfo;

import java.util.concurrent.CompletionStage;

/**
 * One link of the authentication chain ({@code conduit.security.auth-chain}). Answers ACCEPT, DENY or NEXT; the
 * first answer other than NEXT decides. Called on the event loop: anything blocking (database, bcrypt, HTTP) must
 * run elsewhere and complete the stage from there.
 */
public interface AuthenticationProvider {

    /** The name the chain configuration uses, e.g. {@code devices}. */
    String id();

    CompletionStage<AuthResult> authenticate(ConnectRequest request, ClientInfo client);
}
