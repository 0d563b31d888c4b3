/**
 * The Conduit plugin SDK. A plugin is a jar with a {@link io.conduit.api.Plugin} implementation and a
 * {@code META-INF/conduit-plugin.properties} descriptor, dropped into the gateway's {@code plugins} directory.
 *
 * <p>The SDK is plain Java: no framework or network types, so a plugin compiles against this jar alone. Every hook
 * may answer synchronously or return a {@link java.util.concurrent.CompletionStage}; the host calls hooks off the
 * network threads, with a time limit and a fallback decision.
 */
package io.conduit.api;
