package io.conduit.api;

import java.util.Map;

/**
 * What {@code META-INF/conduit-plugin.properties} says about a plugin:
 * <pre>
 * id=topic-guard            # unique, [a-z0-9-]
 * name=Topic guard
 * version=1.0.0
 * main=com.example.TopicGuardPlugin
 * priority=100              # higher runs first in every hook chain
 * api-version=1.0           # the SDK version it was built against; the host refuses a newer major or minor
 * config.deny=secret/#      # default settings
 * </pre>
 *
 * @param id         unique id, {@code [a-z0-9-]}
 * @param name       a name for people
 * @param version    the plugin's own version
 * @param mainClass  the {@link Plugin} implementation
 * @param priority   higher runs first in every hook chain
 * @param apiVersion the SDK version (major.minor) the plugin was built against
 * @param defaults   default settings, the {@code config.*} entries without the prefix
 */
public record PluginDescriptor(String id, String name, String version, String mainClass, int priority,
                               String apiVersion, Map<String, String> defaults) {

    /**
     * Checks and copies the values.
     *
     * @param id see the record component
     * @param name see the record component
     * @param version see the record component
     * @param mainClass see the record component
     * @param priority see the record component
     * @param apiVersion see the record component
     * @param defaults see the record component
     */
    public PluginDescriptor {
        defaults = Map.copyOf(defaults);
    }
}
