package io.conduit.plugin;

import io.conduit.api.PluginContext;
import io.conduit.api.PluginDescriptor;
import io.conduit.api.hooks.Authenticator;
import io.conduit.api.hooks.Authorizer;
import io.conduit.api.hooks.ConnectInterceptor;
import io.conduit.api.hooks.ConnectionListener;
import io.conduit.api.hooks.EnhancedAuthenticator;
import io.conduit.api.hooks.OutboundPublishInterceptor;
import io.conduit.api.hooks.PublishInterceptor;
import io.conduit.api.hooks.SessionListener;
import io.conduit.api.hooks.SubscribeInterceptor;
import io.conduit.api.hooks.UnsubscribeInterceptor;
import io.conduit.api.services.Clients;
import io.conduit.api.services.Metrics;
import io.conduit.api.services.Publisher;
import io.conduit.api.services.RetainedMessages;
import io.conduit.api.services.Subscriptions;
import io.conduit.config.ConduitConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ResourceBundle;
import java.util.concurrent.ScheduledExecutorService;

/** The context handed to one plugin: its settings, folder, hook registration and the broker's services. */
final class PluginContextImpl implements PluginContext {

    private final LoadedPlugin plugin;
    private final PluginServices services;
    private final Map<String, String> settings;
    private final Path dataFolder;
    private final Runnable hooksChanged;
    private final int maxTopicLevels;

    PluginContextImpl(LoadedPlugin plugin, PluginServices services, ConduitConfig config, Path pluginsDir,
                      Runnable hooksChanged) {
        this.plugin = plugin;
        this.hooksChanged = hooksChanged;
        this.maxTopicLevels = config.mqtt().limits().maxTopicLevels();
        this.services = services;
        Map<String, String> merged = new HashMap<>(plugin.descriptor.defaults());
        merged.putAll(config.pluginSettings().getOrDefault(plugin.id(), Map.of()));
        this.settings = Map.copyOf(merged);
        this.dataFolder = pluginsDir.resolve("data").resolve(plugin.id());
    }

    @Override
    public PluginDescriptor descriptor() {
        return plugin.descriptor;
    }

    @Override
    public Map<String, String> config() {
        return settings;
    }

    @Override
    public Path dataFolder() {
        try {
            return Files.createDirectories(dataFolder);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Registers a hook; the broker's "is there any hook of this kind" checks see it at once. */
    private <H> void add(List<H> hooks, H hook) {
        hooks.add(Objects.requireNonNull(hook, "hook"));
        hooksChanged.run();
    }

    @Override
    public void addAuthenticator(Authenticator authenticator) {
        add(plugin.authenticators, authenticator);
    }

    @Override
    public void addEnhancedAuthenticator(EnhancedAuthenticator authenticator) {
        String method = Objects.requireNonNull(authenticator.method(), "method");
        plugin.enhancedAuthenticators.put(method, authenticator);
        hooksChanged.run();
    }

    @Override
    public void addAuthorizer(Authorizer authorizer) {
        add(plugin.authorizers, authorizer);
    }

    @Override
    public void addConnectInterceptor(ConnectInterceptor interceptor) {
        add(plugin.connectInterceptors, interceptor);
    }

    @Override
    public void addPublishInterceptor(PublishInterceptor interceptor) {
        add(plugin.publishInterceptors, interceptor);
    }

    @Override
    public void addOutboundPublishInterceptor(OutboundPublishInterceptor interceptor) {
        add(plugin.outboundInterceptors, interceptor);
    }

    @Override
    public void addSubscribeInterceptor(SubscribeInterceptor interceptor) {
        add(plugin.subscribeInterceptors, interceptor);
    }

    @Override
    public void addUnsubscribeInterceptor(UnsubscribeInterceptor interceptor) {
        add(plugin.unsubscribeInterceptors, interceptor);
    }

    @Override
    public void addConnectionListener(ConnectionListener listener) {
        add(plugin.connectionListeners, listener);
    }

    @Override
    public void addSessionListener(SessionListener listener) {
        add(plugin.sessionListeners, listener);
    }

    @Override
    public Publisher publisher() {
        return services.publisher();
    }

    @Override
    public Clients clients() {
        return services.clients();
    }

    @Override
    public Subscriptions subscriptions() {
        return services.subscriptions(maxTopicLevels);
    }

    @Override
    public RetainedMessages retained() {
        return services.retained();
    }

    @Override
    public Metrics metrics() {
        return services.metricsFor(plugin.id());
    }

    @Override
    public ScheduledExecutorService scheduler() {
        return plugin.scheduler;
    }

    @Override
    public System.Logger logger() {
        System.Logger base = System.getLogger("io.conduit.plugin." + plugin.id());
        return new System.Logger() {
            @Override
            public String getName() {
                return base.getName();
            }

            @Override
            public boolean isLoggable(Level level) {
                return base.isLoggable(level);
            }

            @Override
            public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
                base.log(level, bundle, "[" + plugin.id() + "] " + msg, thrown);
            }

            @Override
            public void log(Level level, ResourceBundle bundle, String format, Object... params) {
                base.log(level, bundle, "[" + plugin.id() + "] " + format, params);
            }
        };
    }
}
