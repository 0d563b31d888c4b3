package io.conduit.mqtt;

import io.conduit.config.ConduitConfig;
import io.conduit.metrics.BrokerMetrics;
import io.conduit.persistence.BatchWriter;
import io.conduit.persistence.StoreProducers;
import io.conduit.plugin.PluginHooks;
import io.conduit.api.mqtt.ClientInfo;
import io.conduit.security.AuthResult;
import io.conduit.security.CertificateIdentity;
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
    private boolean disconnectV3OnDeniedPublish;
    private CertificateIdentity certificateIdentity;

    @PostConstruct
    void init() {
        writer = stores.writer();
        // Asked on every packet: the bean itself, not a client proxy that looks it up on each call.
        plugins = io.quarkus.arc.ClientProxy.unwrap(plugins);
        disconnectV3OnDeniedPublish = switch (config.security().aclDenyActionV3().trim()) {
            case "drop" -> false;
            case "disconnect" -> true;
            default -> throw new IllegalStateException("conduit.security.acl-deny-action-v3 must be drop or "
                    + "disconnect, not " + config.security().aclDenyActionV3());
        };
        certificateIdentity = CertificateIdentity.parse(config.security().certificateIdentity());
    }

    /** Which part of a verified client certificate is the client's username. */
    public CertificateIdentity certificateIdentity() {
        return certificateIdentity;
    }

    /** Whether a 3.x client publishing where the ACL denies it is disconnected (true) or its message dropped. */
    public boolean disconnectV3OnDeniedPublish() {
        return disconnectV3OnDeniedPublish;
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

    /** A plugin's method of that name first (highest priority wins), else the built-in one; null when none. */
    public EnhancedAuthenticator enhancedAuthenticator(String method) {
        EnhancedAuthenticator fromPlugin = plugins.enhancedAuthenticator(method);
        return fromPlugin != null ? fromPlugin : enhanced.get(method);
    }
}
