package io.conduit.api;

/**
 * The entry point of a plugin, named by {@code main} in its descriptor. The host creates one instance per load (with
 * a public no-argument constructor), calls {@link #start} once and {@link #stop} when the plugin is disabled,
 * reloaded or the gateway stops. Everything the plugin registers through the context is removed again after
 * {@link #stop}.
 */
public interface Plugin {

    /**
     * Registers hooks and takes the services it needs from the context. May block briefly (it runs on the plugin's
     * thread, with a limit of 30 seconds).
     *
     * @param context the plugin's context
     * @throws Exception when the plugin cannot start; it is then marked failed and has no hooks
     */
    void start(PluginContext context) throws Exception;

    /**
     * Releases what the plugin opened itself; hooks and scheduled tasks are removed by the host.
     *
     * @throws Exception logged; the plugin is unloaded anyway
     */
    default void stop() throws Exception {
    }
}
