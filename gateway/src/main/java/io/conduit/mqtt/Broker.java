package io.conduit.mqtt;

import io.conduit.config.ConduitConfig;
import io.conduit.metrics.BrokerMetrics;
import io.conduit.persistence.BatchWriter;
import io.conduit.persistence.StoreProducers;
import io.conduit.plugin.PluginHooks;
import io.conduit.api.mqtt.ClientInfo;
import io.conduit.security.AuthResult;
import io.conduit.security.ConnectRequest;
import io.conduit.routing.Router;
import io.conduit.security.Authenticator;
import io.conduit.security.Authorizer;
import io.conduit.security.EnhancedAuthenticator;
import io.conduit.session.SessionRegistry;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** The services every connection talks to, gathered once so that a connection holds one reference. */
@ApplicationScoped
public class Broker {

    @Inject
    ConduitConfig config;

    @Inject
    SessionRegistry sessions;

    @Inject
    Router router;

    @Inject
    BrokerMetrics metrics;

    @Inject
    Authenticator authenticator;

    @Inject
    Authorizer authorizer;

    @Inject
    StoreProducers stores;

    @Inject
    PluginHooks plugins;

    @Inject
    ConnectedClients connectedClients;

    private final Map<String, EnhancedAuthenticator> enhanced = new HashMap<>();
    private BatchWriter writer;

    @PostConstruct
    void init() {
        writer = stores.writer();
        // Asked on every packet: the bean itself, not a client proxy that looks it up on each call.
        plugins = io.quarkus.arc.ClientProxy.unwrap(plugins);
    }

    /** The database writer, or null when state is kept in memory. */
    public BatchWriter writer() {
        return writer;
    }

    @Inject
    void enhancedAuthenticators(Instance<EnhancedAuthenticator> all) {
        for (EnhancedAuthenticator a : all) {
            enhanced.put(a.method(), a);
        }
    }

    public ConduitConfig config() {
        return config;
    }

    public SessionRegistry sessions() {
        return sessions;
    }

    public Router router() {
        return router;
    }

    public BrokerMetrics metrics() {
        return metrics;
    }

    public Authenticator authenticator() {
        return authenticator;
    }

    /** Plugins first, in priority order; when none decides, the broker's own authenticator. */
    public CompletionStage<AuthResult> authenticate(ConnectRequest request, ClientInfo client) {
        if (!plugins.hasAuthenticators()) {
            return authenticator.authenticate(request);
        }
        return plugins.authenticate(request, client).thenCompose(decided -> decided != null
                ? CompletableFuture.completedFuture(decided) : authenticator.authenticate(request));
    }

    public PluginHooks plugins() {
        return plugins;
    }

    public ConnectedClients connectedClients() {
        return connectedClients;
    }

    public Authorizer authorizer() {
        return authorizer;
    }

    /** A plugin's method of that name first (highest priority wins), else the built-in one; null when none. */
    public EnhancedAuthenticator enhancedAuthenticator(String method) {
        EnhancedAuthenticator fromPlugin = plugins.enhancedAuthenticator(method);
        return fromPlugin != null ? fromPlugin : enhanced.get(method);
    }
}
