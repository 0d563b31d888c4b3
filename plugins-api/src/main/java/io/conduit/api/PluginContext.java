package io.conduit.api;

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

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What the host hands a plugin: its identity and settings, the hook registries and the broker's services. Hooks
 * registered here are removed when the plugin stops. Every hook runs with the plugin's time limit and fallback
 * ({@code conduit.plugins.call-timeout}, {@code conduit.plugins.on-failure}), on the plugin's threads unless its
 * class is {@link io.conduit.api.hooks.NonBlocking}.
 */
public interface PluginContext {

    /**
     * The plugin's descriptor.
     *
     * @return what {@code META-INF/conduit-plugin.properties} says
     */
    PluginDescriptor descriptor();

    /**
     * The plugin's settings: the properties of {@code conduit.plugin.<id>.*} in the gateway's configuration, with that
     * prefix removed, over the defaults of the descriptor's {@code config.*} entries.
     *
     * @return an immutable map
     */
    Map<String, String> config();

    /**
     * A folder of its own that survives restarts and reloads: {@code <plugins dir>/data/<id>}.
     *
     * @return the folder, created when missing
     */
    Path dataFolder();

    /**
     * Adds a simple (user name / password / client id) authenticator to the chain.
     *
     * @param authenticator the authenticator
     */
    void addAuthenticator(Authenticator authenticator);

    /**
     * Adds an MQTT 5.0 enhanced authentication method.
     *
     * @param authenticator the method
     */
    void addEnhancedAuthenticator(EnhancedAuthenticator authenticator);

    /**
     * Adds publish and subscribe permission checks.
     *
     * @param authorizer the authorizer
     */
    void addAuthorizer(Authorizer authorizer);

    /**
     * Adds an interceptor of CONNECT, after authentication.
     *
     * @param interceptor the interceptor
     */
    void addConnectInterceptor(ConnectInterceptor interceptor);

    /**
     * Adds an interceptor of incoming PUBLISH packets.
     *
     * @param interceptor the interceptor
     */
    void addPublishInterceptor(PublishInterceptor interceptor);

    /**
     * Adds an interceptor of each copy of a message going to a subscriber.
     *
     * @param interceptor the interceptor
     */
    void addOutboundPublishInterceptor(OutboundPublishInterceptor interceptor);

    /**
     * Adds an interceptor of SUBSCRIBE filters.
     *
     * @param interceptor the interceptor
     */
    void addSubscribeInterceptor(SubscribeInterceptor interceptor);

    /**
     * Adds an interceptor of UNSUBSCRIBE filters.
     *
     * @param interceptor the interceptor
     */
    void addUnsubscribeInterceptor(UnsubscribeInterceptor interceptor);

    /**
     * Adds a listener of connects and disconnects.
     *
     * @param listener the listener
     */
    void addConnectionListener(ConnectionListener listener);

    /**
     * Adds a listener of sessions created, resumed and ended.
     *
     * @param listener the listener
     */
    void addSessionListener(SessionListener listener);

    /**
     * Publishing as the broker.
     *
     * @return the service
     */
    Publisher publisher();

    /**
     * The connected clients.
     *
     * @return the service
     */
    Clients clients();

    /**
     * Subscriptions on behalf of clients.
     *
     * @return the service
     */
    Subscriptions subscriptions();

    /**
     * The retained messages.
     *
     * @return the service
     */
    RetainedMessages retained();

    /**
     * Meters named {@code conduit.plugin.<name>} and tagged with the plugin id.
     *
     * @return the plugin's registry
     */
    Metrics metrics();

    /**
     * For the plugin's periodic work; its tasks are cancelled when the plugin stops. Never block in them for long.
     *
     * @return the plugin's scheduler (one thread, with the plugin's class loader as context)
     */
    ScheduledExecutorService scheduler();

    /**
     * A logger that prefixes the plugin id.
     *
     * @return the logger
     */
    System.Logger logger();
}
