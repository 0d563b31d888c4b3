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
import io.conduit.security.BruteForceGuard;
import io.conduit.security.EnhancedAuthenticator;
import io.conduit.session.SessionRegistry;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import java.util.HashMap;
import java.util.Map;
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

    @Inject
    BruteForceGuard bruteForce;

    private final Map<String, EnhancedAuthenticator> enhanced = new HashMap<>();
    private BatchWriter writer;

    @PostConstruct
    void init() {
        writer = stores.writer();
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

    /** The authentication chain ({@code conduit.security.auth-chain}), then the anonymous rule. */
    public CompletionStage<AuthResult> authenticate(ConnectRequest request, ClientInfo client) {
        return authenticator.authenticate(request, client);
    }

    public PluginHooks plugins() {
        return plugins;
    }

    public ConnectedClients connectedClients() {
        return connectedClients;
    }

    public BruteForceGuard bruteForce() {
        return bruteForce;
    }

    public Authorizer authorizer() {
        return authorizer;
    }

    public EnhancedAuthenticator enhancedAuthenticator(String method) {
        return enhanced.get(method);
    }
}
