package io.conduit.plugin;

import io.conduit.api.mqtt.ClientInfo;
import io.conduit.api.mqtt.PublishPacket;
import io.conduit.api.services.Clients;
import io.conduit.api.services.Metrics;
import io.conduit.api.services.Publisher;
import io.conduit.api.services.RetainedMessages;
import io.conduit.mqtt.ConnectedClients;
import io.conduit.routing.Message;
import io.conduit.routing.RetainedStore;
import io.conduit.routing.Router;
import io.conduit.routing.Topics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/** The broker's services as the SDK presents them to plugins. */
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
            public boolean disconnect(String clientId, int reasonCode, String reason) {
                return connected.disconnect(clientId, reasonCode, reason);
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
