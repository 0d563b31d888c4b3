package io.conduit.bench;

/** The phase of a run, shared by all clients: only the measured phase counts towards throughput and latency. */
final class RunState {

    enum Phase { CONNECTING, WARMUP, MEASURE, DRAIN }

    private volatile Phase phase = Phase.CONNECTING;

    void phase(Phase p) {
        phase = p;
    }

    boolean measuring() {
        return phase == Phase.MEASURE;
    }
}
