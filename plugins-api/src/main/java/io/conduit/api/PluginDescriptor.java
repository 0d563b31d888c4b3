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
 */
public record PluginDescriptor(String id, String name, String version, String mainClass, int priority,
                               String apiVersion, Map<String, String> defaults) {

    public PluginDescriptor {
        defaults = Map.copyOf(defaults);
    }
}
