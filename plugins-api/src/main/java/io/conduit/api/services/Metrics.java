package io.conduit.api.services;

import java.util.function.Supplier;

/** The plugin's meters, exported with the broker's (Prometheus at /q/metrics). */
public interface Metrics {

    /** A monotonic count; {@code increment()} is cheap enough for every message. */
    Counter counter(String name, String description);

    /** A value read when the metrics are scraped. */
    void gauge(String name, String description, Supplier<Number> value);

    interface Counter {
        void increment();

        void add(double amount);
    }
}
