package io.conduit.plugin;

/** A plugin's state as the admin API shows it. */
public record PluginInfo(String id, String name, String version, int priority, String apiVersion, String state,
                         String source, long calls, long errors, long timeouts, String lastError) {

    static PluginInfo of(LoadedPlugin p) {
        return new PluginInfo(p.id(), p.descriptor.name(), p.descriptor.version(), p.descriptor.priority(),
                p.descriptor.apiVersion(), p.state.name().toLowerCase(), p.source.getFileName().toString(),
                p.callCount.sum(), p.errors.sum(), p.timeouts.sum(), p.lastError);
    }
}
