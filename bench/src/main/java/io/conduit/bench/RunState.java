package io.conduit.bench;

/** The phase of a run, shared by all clients: only the measured phase counts towards throughput and latency. */
final class RunState {

    enum Phase { CONNECTING, WARMUP, MEASURE, DRAIN,
        /** Offline subscribers are back and the stored messages are delivered: latency is recorded. */
        MEASURE_DELIVERY }

    private volatile Phase phase = Phase.CONNECTING;

    void phase(Phase p) {
        phase = p;
    }

    boolean measuring() {
        return phase == Phase.MEASURE;
    }

    /** Whether a subscriber records the latency of what it receives now. */
    boolean recordingDeliveries() {
        Phase p = phase;
        return p == Phase.MEASURE || p == Phase.MEASURE_DELIVERY;
    }
}
