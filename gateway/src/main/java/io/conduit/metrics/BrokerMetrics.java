package io.conduit.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The broker's traffic counters. Counting is a LongAdder increment on the hot path; Micrometer and $SYS read
 * them when asked.
 *
 * <p>{@code @Singleton}, not {@code @ApplicationScoped}: callers read the public fields directly, and a normal-scoped
 * bean is injected as a client proxy whose fields are not the bean's (and whose bean, never called through a method,
 * would never be created, leaving the meters unregistered).
 */
@Singleton
@Startup
public class BrokerMetrics {

    public final LongAdder messagesReceived = new LongAdder();
    public final LongAdder messagesSent = new LongAdder();
    public final LongAdder messagesDropped = new LongAdder();
    public final LongAdder bytesReceived = new LongAdder();
    public final LongAdder bytesSent = new LongAdder();
    public final LongAdder connectionsTotal = new LongAdder();
    public final AtomicInteger sockets = new AtomicInteger();
    public final AtomicInteger clientsConnected = new AtomicInteger();

    @Inject
    void bind(MeterRegistry registry) {
        counter(registry, "conduit.messages.received", messagesReceived, "PUBLISH packets received from clients");
        counter(registry, "conduit.messages.sent", messagesSent, "PUBLISH packets sent to clients");
        counter(registry, "conduit.messages.dropped", messagesDropped,
                "messages dropped: queue full, QoS 0 to a slow or offline client, too large for the client, expired");
        counter(registry, "conduit.bytes.received", bytesReceived, "bytes read from MQTT connections");
        counter(registry, "conduit.bytes.sent", bytesSent, "bytes written to MQTT connections");
        counter(registry, "conduit.connections.total", connectionsTotal, "MQTT connections accepted (CONNACK 0)");
        Gauge.builder("conduit.clients.connected", clientsConnected, AtomicInteger::get)
                .description("clients with an open MQTT session").register(registry);
        Gauge.builder("conduit.sockets", sockets, AtomicInteger::get)
                .description("open MQTT sockets, connected or not").register(registry);
    }

    private static void counter(MeterRegistry registry, String name, LongAdder adder, String description) {
        FunctionCounter.builder(name, adder, LongAdder::sum).description(description).register(registry);
    }
}
