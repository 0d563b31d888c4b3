package io.conduit.sys;

import io.conduit.config.ConduitConfig;
import io.conduit.metrics.BrokerMetrics;
import io.conduit.routing.Message;
import io.conduit.routing.Router;
import io.conduit.session.SessionRegistry;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Publishes the broker's figures as retained messages under {@code $SYS/broker/}, in the topic layout Mosquitto
 * users know, every {@code conduit.sys.interval}.
 */
@ApplicationScoped
public class SysTopicsPublisher {

    public static final String VERSION = "Conduit " + versionOf();

    @Inject
    Vertx vertx;

    @Inject
    ConduitConfig config;

    @Inject
    Router router;

    @Inject
    SessionRegistry sessions;

    @Inject
    BrokerMetrics metrics;

    private final long startedNanos = System.nanoTime();

    void start(@Observes StartupEvent event) {
        long interval = config.sys().interval().toMillis();
        if (interval <= 0) {
            return;
        }
        publish("version", VERSION);
        vertx.setPeriodic(interval, interval, id -> publishFigures());
    }

    /** The figures as topic (below $SYS/broker/) to value. */
    public Map<String, String> figures() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("uptime", (System.nanoTime() - startedNanos) / 1_000_000_000L + " seconds");
        f.put("clients/connected", String.valueOf(metrics.clientsConnected.get()));
        f.put("clients/total", String.valueOf(sessions.size()));
        f.put("clients/disconnected", String.valueOf(Math.max(0, sessions.size() - metrics.clientsConnected.get())));
        f.put("messages/received", String.valueOf(metrics.messagesReceived.sum()));
        f.put("messages/sent", String.valueOf(metrics.messagesSent.sum()));
        f.put("messages/dropped", String.valueOf(metrics.messagesDropped.sum()));
        f.put("bytes/received", String.valueOf(metrics.bytesReceived.sum()));
        f.put("bytes/sent", String.valueOf(metrics.bytesSent.sum()));
        f.put("subscriptions/count", String.valueOf(router.subscriptionCount()));
        f.put("retained messages/count", String.valueOf(router.retainedCount()));
        return f;
    }

    private void publishFigures() {
        figures().forEach(this::publish);
    }

    private void publish(String topic, String value) {
        router.publish(Message.of("$SYS/broker/" + topic, value.getBytes(StandardCharsets.UTF_8), 0, true));
    }

    private static String versionOf() {
        String v = SysTopicsPublisher.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-SNAPSHOT" : v;
    }
}
