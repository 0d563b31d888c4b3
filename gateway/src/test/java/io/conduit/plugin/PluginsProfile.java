package io.conduit.plugin;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** A gateway with an empty plugins directory of its own, watched, and a short hook time limit. */
public class PluginsProfile implements QuarkusTestProfile {

    static final Path DIR;

    static {
        try {
            DIR = Files.createTempDirectory("conduit-plugins-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                "conduit.plugins.dir", DIR.toString(),
                "conduit.plugins.call-timeout", "500ms",
                "conduit.plugin.topic-guard.rewrite-from", "legacy/",
                "conduit.plugin.topic-guard.rewrite-to", "devices/");
    }
}
