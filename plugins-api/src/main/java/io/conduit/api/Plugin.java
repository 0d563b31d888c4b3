package io.conduit.api;

/**
 * The entry point of a plugin, named by {@code main} in its descriptor. The host creates one instance per load, calls
 * {@link #start} once and {@link #stop} when the plugin is disabled, reloaded or the gateway stops. Everything the
 * plugin registers through the context is removed again after {@link #stop}.
 */
public interface Plugin {

    /** Registers hooks and takes the services it needs from the context. May block briefly (it runs on a worker). */
    void start(PluginContext context) throws Exception;

    /** Releases what the plugin opened itself; hooks and scheduled tasks are removed by the host. */
    default void stop() throws Exception {
    }
}
