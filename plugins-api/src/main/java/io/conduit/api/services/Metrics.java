package io.conduit.api.services;

import java.util.function.Supplier;

/** The plugin's meters, exported with the broker's (Prometheus at /q/metrics). */
public interface Metrics {

    /**
     * A monotonic count, exported as {@code conduit_plugin_<name>_total} and tagged with the plugin id.
     *
     * @param name        dot-separated name, e.g. {@code topic.guard.refusals}
     * @param description what it counts
     * @return the counter; the same name gives the same counter
     */
    Counter counter(String name, String description);

    /**
     * A value read when the metrics are scraped.
     *
     * @param name        dot-separated name
     * @param description what it measures
     * @param value       read on every scrape; must be quick and thread-safe
     */
    void gauge(String name, String description, Supplier<Number> value);

    /** A monotonic count; {@link #increment()} is cheap enough for every message. */
    interface Counter {

        /** Adds one. */
        void increment();

        /**
         * Adds an amount.
         *
         * @param amount a non-negative amount
         */
        void add(double amount);
    }
}
