package io.conduit.api;

import io.conduit.api.hooks.Authenticator;
import io.conduit.api.hooks.Authorizer;
import io.conduit.api.hooks.ConnectionListener;
import io.conduit.api.hooks.PublishInterceptor;
import io.conduit.api.services.Clients;
import io.conduit.api.services.Metrics;
import io.conduit.api.services.Publisher;
import io.conduit.api.services.RetainedMessages;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;

/** What the host hands a plugin: its identity and settings, the hook registries and the broker's services. */
public interface PluginContext {

    PluginDescriptor descriptor();

    /**
     * The plugin's settings: the properties of {@code conduit.plugins.<id>.*} in the gateway's configuration, with that
     * prefix removed, over the defaults of the descriptor's {@code config.*} entries.
     */
    Map<String, String> config();

    /** A folder of its own that survives restarts and reloads. */
    Path dataFolder();

    void addAuthenticator(Authenticator authenticator);

    void addAuthorizer(Authorizer authorizer);

    void addPublishInterceptor(PublishInterceptor interceptor);

    void addConnectionListener(ConnectionListener listener);

    Publisher publisher();

    Clients clients();

    RetainedMessages retained();

    /** Meters named {@code conduit.plugin.<name>} and tagged with the plugin id. */
    Metrics metrics();

    /** For the plugin's periodic work; its tasks are cancelled when the plugin stops. Never block in them for long. */
    ScheduledExecutorService scheduler();

    /** A logger that prefixes the plugin id. */
    System.Logger logger();
}
