package io.conduit.plugin;

import io.conduit.api.mqtt.ClientInfo;
import io.conduit.api.mqtt.ConnectPacket;
import io.conduit.api.mqtt.PublishPacket;
import io.conduit.api.mqtt.SubscriptionView;
import io.conduit.api.services.Clients;
import io.conduit.api.services.Metrics;
import io.conduit.api.services.Publisher;
import io.conduit.api.services.RetainedMessages;
import io.conduit.api.services.Subscriptions;
import io.conduit.mqtt.ConnectedClients;
import io.conduit.routing.Message;
import io.conduit.routing.RetainedStore;
import io.conduit.routing.Router;
import io.conduit.routing.Subscription;
import io.conduit.routing.Topics;
import io.conduit.session.Session;
import io.conduit.session.SessionRegistry;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * The broker's services as the SDK presents them to plugins. This bean is made on a plugin's thread, whose context
 * class loader cannot see what CDI needs for a configuration mapping: inject only beans here, and pass settings in.
 */
@ApplicationScoped
public class PluginServices {

    @Inject
    Router router;

    @Inject
    RetainedStore retainedStore;

    @Inject
    ConnectedClients connected;

    @Inject
    MeterRegistry meters;

    @Inject
    SessionRegistry sessions;

    Publisher publisher() {
        return packet -> asGateway(() -> {
            validate(packet.topic());
            Router.Routed routed = router.publish(Packets.toMessage(packet, null));
            CompletionStage<Void> durable = routed.durable() == null
                    ? CompletableFuture.completedFuture(null) : routed.durable();
            return durable.thenApply(v -> routed.subscribers());
        });
    }

    /**
     * Runs broker code called from a plugin's thread with the gateway's class loader as context, as it would have on
     * the broker's own threads.
     */
    private static <T> T asGateway(Supplier<T> work) {
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        t.setContextClassLoader(PluginServices.class.getClassLoader());
        try {
            return work.get();
        } finally {
            t.setContextClassLoader(previous);
        }
    }

    Clients clients() {
        return new Clients() {
            @Override
            public List<ClientInfo> connected() {
                return List.copyOf(connected.all());
            }

            @Override
            public Optional<ClientInfo> get(String clientId) {
                return connected.get(clientId);
            }

            @Override
            public Optional<ConnectPacket> connectData(String clientId) {
                return connected.connectData(clientId);
            }

            @Override
            public boolean disconnect(String clientId, int reasonCode, String reason) {
                return connected.disconnect(clientId, reasonCode, reason);
            }
        };
    }

    Subscriptions subscriptions(int maxTopicLevels) {
        return new Subscriptions() {
            @Override
            public CompletionStage<Boolean> subscribe(String clientId, SubscriptionView view) {
                Subscription sub = Packets.toSubscription(clientId, view, maxTopicLevels);
                if (sub == null) {
                    throw new IllegalArgumentException("invalid subscription: " + view);
                }
                Session session = sessions.get(clientId);
                if (session == null) {
                    return CompletableFuture.completedFuture(false);
                }
                return asGateway(() -> {
                    SessionRegistry.Subscribed subscribed = sessions.subscribe(session, sub);
                    // As for a SUBSCRIBE: retained messages per Retain Handling, never to a shared subscription.
                    if (sub.shareGroup() == null && (sub.retainHandling() == 0
                            || sub.retainHandling() == 1 && subscribed.replaced() == null)) {
                        router.sendRetained(session, sub);
                    }
                    return subscribed.stored().thenApply(v -> true);
                });
            }

            @Override
            public CompletionStage<Boolean> unsubscribe(String clientId, String fullFilter) {
                Session session = sessions.get(clientId);
                if (session == null) {
                    return CompletableFuture.completedFuture(false);
                }
                CompletionStage<Void> removed = asGateway(() -> sessions.unsubscribe(session, fullFilter));
                return removed == null ? CompletableFuture.completedFuture(false) : removed.thenApply(v -> true);
            }

            @Override
            public List<SubscriptionView> of(String clientId) {
                Session session = sessions.get(clientId);
                return session == null ? List.of()
                        : session.subscriptions().values().stream().map(Packets::toView).toList();
            }
        };
    }

    RetainedMessages retained() {
        return new RetainedMessages() {
            @Override
            public List<PublishPacket> find(String topicFilter) {
                if (!Topics.isValidFilter(topicFilter, Integer.MAX_VALUE)) {
                    throw new IllegalArgumentException("invalid topic filter: " + topicFilter);
                }
                return router.retained(topicFilter).stream().map(Packets::toPacket).toList();
            }

            @Override
            public void put(PublishPacket packet) {
                validate(packet.topic());
                asGateway(() -> retainedStore.put(Packets.toMessage(packet.toBuilder().retain(true).build(), null)));
            }

            @Override
            public void remove(String topic) {
                validate(topic);
                asGateway(() -> retainedStore.put(Message.of(topic, new byte[0], 0, true)));
            }
        };
    }

    Metrics metricsFor(String pluginId) {
        return new Metrics() {
            @Override
            public Metrics.Counter counter(String name, String description) {
                io.micrometer.core.instrument.Counter c = io.micrometer.core.instrument.Counter
                        .builder("conduit.plugin." + name).description(description).tag("plugin", pluginId)
                        .register(meters);
                return new Metrics.Counter() {
                    @Override
                    public void increment() {
                        c.increment();
                    }

                    @Override
                    public void add(double amount) {
                        c.increment(amount);
                    }
                };
            }

            @Override
            public void gauge(String name, String description, Supplier<Number> value) {
                Gauge.builder("conduit.plugin." + name, value, v -> v.get().doubleValue()).description(description)
                        .tag("plugin", pluginId).register(meters);
            }
        };
    }

    private static void validate(String topic) {
        if (!Topics.isValidName(topic, Integer.MAX_VALUE)) {
            throw new IllegalArgumentException("invalid topic name: " + topic);
        }
    }
}
