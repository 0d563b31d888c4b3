package io.conduit.security;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Where SCRAM-SHA-256 credentials come from (the device registry keeps them per device). May complete on any
 * thread; must not block the caller, which is an event loop.
 */
public interface ScramCredentials {

    /** The credential of {@code username}, or empty when there is none (unknown or disabled). */
    CompletionStage<Optional<ScramCredential>> lookup(String username);
}
