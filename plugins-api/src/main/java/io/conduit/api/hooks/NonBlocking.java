package io.conduit.api.hooks;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a hook class whose methods answer from memory in microseconds and never block (no I/O, no locks held for
 * long, no sleeping). The host then calls it on the network thread that handles the client instead of handing each
 * call to the plugin's threads, which saves two thread switches per call: use it for interceptors and authorizers on
 * every message's path.
 *
 * <p>Faults stay contained: an exception yields the fallback as for any hook, and a call that takes longer than the
 * time limit counts as a timeout, yields the fallback, and moves that hook to the plugin's threads for good (until
 * the plugin is reloaded). A hook may still return an incomplete {@link java.util.concurrent.CompletionStage}; the
 * broker then waits for it without blocking, with the time limit.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface NonBlocking {
}
