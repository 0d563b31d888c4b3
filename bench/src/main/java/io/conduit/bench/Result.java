package io.conduit.bench;

import org.HdrHistogram.Histogram;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one scenario run measured; printed as a markdown table row and as one line of JSON. {@code lost} counts
 * messages acknowledged to their publisher (QoS 1 PUBACK, QoS 2 PUBREC) or sent (QoS 0) that a subscriber had not
 * received when the drain period ended. {@code drainEnd} says how it ended: "complete" (everything arrived),
 * "idle" (clean sessions only: nothing arrived for {@link Runner#DRAIN_IDLE_SECONDS} and no publisher flow was
 * unfinished, so the missing messages were dropped by the broker) or "timeout" (some may still have been on their
 * way). A connection run has {@code connections} and no messages.
 */
record Result(String scenario, String label, String protocol, int payload, int publishers, int subscribers, int qos,
              int window, double rateTarget, double seconds, double drainSeconds, String drainEnd,
              double deliveredPerSecond,
              double publishedPerSecond, long sent, long acked, long unacked, long refused, long delivered,
              long expected, long lost, long duplicates, long foreign, Percentiles latency, Percentiles ackLatency,
              double benchCpuPercent, String loadBefore, String loadAfter, List<String> errors,
              Connections connections) {

    /**
     * A connection run: {@code requested} connections, of which {@code opened} got a CONNACK, {@code failed} did not
     * (refused, reset, timed out), {@code dropped} were closed by the broker while held. {@code perSecond} is opened
     * / {@code openSeconds} (first attempt to last answer, over all processes). Broker RSS in KiB (-1: no
     * --broker-pid) before the first connection, with all of them open after the hold, and after they were closed.
     * {@code listenOverflows}: the kernel's TcpExtListenOverflows during the opening (whole network namespace, -1
     * when unreadable): SYNs dropped because a listener's accept queue was full, each retried by the client after
     * 1 s, 3 s, ...
     */
    record Connections(int requested, long opened, long failed, long dropped, int processes, int sources,
                       double rateTarget, double perSecond, double openSeconds, Percentiles latency,
                       long rssBeforeKb, long rssConnectedKb, long rssClosedKb, String brokerFileLimit,
                       long listenOverflows) {

        /** Growth of the broker's resident memory per open connection, in bytes; NaN without RSS. */
        double bytesPerConnection() {
            if (rssBeforeKb < 0 || rssConnectedKb < 0 || opened == 0) {
                return Double.NaN;
            }
            return (rssConnectedKb - rssBeforeKb) * 1024.0 / opened;
        }
    }

    static Result ofConnections(String label, String protocol, Connections c, double cpuPercent, String loadBefore,
                                List<String> errors) {
        Percentiles none = new Percentiles(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        return new Result("connections", label, protocol, 0, 0, 0, 0, 0, c.rateTarget(), c.openSeconds(), 0, "complete",
                Double.NaN, Double.NaN, 0, 0, 0, 0, 0, 0, 0, 0, 0, none, none, cpuPercent, loadBefore,
                LoadAverage.read(), errors, c);
    }

    /** Latency percentiles in milliseconds, with the sample count. */
    record Percentiles(long count, double p50, double p99, double p999, double max) {
        static Percentiles of(Histogram h) {
            if (h.getTotalCount() == 0) {
                return new Percentiles(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
            }
            return new Percentiles(h.getTotalCount(), h.getValueAtPercentile(50) / 1000.0,
                    h.getValueAtPercentile(99) / 1000.0, h.getValueAtPercentile(99.9) / 1000.0,
                    h.getMaxValue() / 1000.0);
        }
    }

    static String header() {
        return "| scenario | target | MQTT | QoS | payload B | pubs x window | subs | rate target msg/s | delivered msg/s "
                + "| published msg/s | lost | dup | e2e p50 ms | e2e p99 ms | e2e p99.9 ms | e2e max ms "
                + "| ack p50 ms | ack p99 ms | s | bench CPU % | load before / after "
                + "| connections (failed) | conn/s | connect p50 / p99 / p99.9 ms | broker RSS MiB before / connected "
                + "/ closed | broker B/conn |\n"
                + "|---|---|---|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|";
    }

    String markdownRow() {
        String rateCell = rateTarget > 0 ? String.format(Locale.ROOT, "%.0f", rateTarget) : "max";
        String common = String.format(Locale.ROOT, "| %.1f | %.0f | %s / %s |", seconds, benchCpuPercent, loadBefore,
                loadAfter);
        String tail = errors.isEmpty() ? "" : " ERRORS: " + errors;
        if (connections != null) {
            Connections c = connections;
            return String.format(Locale.ROOT, "| %s | %s | %s | - | - | - | - | %s | - | - | - | - | - | - | - | - | - "
                            + "| - %s %d (%d%s%s) | %.0f | %s / %s / %s | %s / %s / %s | %s |%s",
                    scenario, label, protocol, rateCell, common, c.opened(), c.failed(),
                    c.dropped() > 0 ? ", " + c.dropped() + " dropped" : "",
                    c.listenOverflows() > 0 ? ", " + c.listenOverflows() + " listen overflows" : "", c.perSecond(), ms(c.latency().p50()),
                    ms(c.latency().p99()), ms(c.latency().p999()), mib(c.rssBeforeKb()), mib(c.rssConnectedKb()),
                    mib(c.rssClosedKb()), num(c.bytesPerConnection()), tail);
        }
        return String.format(Locale.ROOT,
                "| %s | %s | %s | %d | %d | %d x %d | %d | %s | %.0f | %.0f | %s | %d | %s | %s | %s | %s | %s | %s "
                        + "%s - | - | - | - | - |%s",
                scenario, label, protocol, qos, payload, publishers, window, subscribers, rateCell,
                deliveredPerSecond, publishedPerSecond, lost + (drainEnd.equals("timeout") ? " (drain timed out)" : ""), duplicates,
                ms(latency.p50()), ms(latency.p99()), ms(latency.p999()), ms(latency.max()), ms(ackLatency.p50()),
                ms(ackLatency.p99()), common, tail);
    }

    String json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("scenario", scenario);
        m.put("label", label);
        m.put("protocol", protocol);
        m.put("payload", payload);
        m.put("publishers", publishers);
        m.put("subscribers", subscribers);
        m.put("qos", qos);
        m.put("window", window);
        m.put("rate_target", rateTarget);
        m.put("duration_s", round(seconds, 3));
        if (connections != null) {
            Connections c = connections;
            m.put("connections", c.requested());
            m.put("connections_opened", c.opened());
            m.put("connections_failed", c.failed());
            m.put("connections_dropped", c.dropped());
            m.put("connect_rate_target", c.rateTarget());
            m.put("connections_per_s", round(c.perSecond(), 1));
            m.put("connect_p50_ms", round(c.latency().p50(), 3));
            m.put("connect_p99_ms", round(c.latency().p99(), 3));
            m.put("connect_p999_ms", round(c.latency().p999(), 3));
            m.put("connect_max_ms", round(c.latency().max(), 3));
            m.put("broker_rss_before_kb", c.rssBeforeKb() < 0 ? null : c.rssBeforeKb());
            m.put("broker_rss_connected_kb", c.rssConnectedKb() < 0 ? null : c.rssConnectedKb());
            m.put("broker_rss_closed_kb", c.rssClosedKb() < 0 ? null : c.rssClosedKb());
            m.put("broker_bytes_per_connection", round(c.bytesPerConnection(), 0));
            m.put("broker_open_files_limit", c.brokerFileLimit());
            m.put("listen_overflows", c.listenOverflows() < 0 ? null : c.listenOverflows());
            m.put("bench_processes", c.processes());
            m.put("source_addresses", c.sources());
            m.put("bench_cpu_pct", round(benchCpuPercent, 1));
            m.put("load_before", loadBefore);
            m.put("load_after", loadAfter);
            m.put("errors", errors);
            return Json.write(m);
        }
        m.put("drain_s", round(drainSeconds, 3));
        m.put("drain_complete", drainComplete());
        m.put("drain_end", drainEnd);
        m.put("delivered_per_s", round(deliveredPerSecond, 1));
        m.put("published_per_s", round(publishedPerSecond, 1));
        m.put("sent", sent);
        m.put("acked", acked);
        m.put("unacked", unacked);
        m.put("refused", refused);
        m.put("delivered", delivered);
        m.put("expected", expected);
        m.put("lost", lost);
        m.put("duplicates", duplicates);
        m.put("foreign", foreign);
        m.put("latency_count", latency.count());
        m.put("latency_p50_ms", round(latency.p50(), 3));
        m.put("latency_p99_ms", round(latency.p99(), 3));
        m.put("latency_p999_ms", round(latency.p999(), 3));
        m.put("latency_max_ms", round(latency.max(), 3));
        m.put("ack_p50_ms", round(ackLatency.p50(), 3));
        m.put("ack_p99_ms", round(ackLatency.p99(), 3));
        m.put("ack_p999_ms", round(ackLatency.p999(), 3));
        m.put("bench_cpu_pct", round(benchCpuPercent, 1));
        m.put("load_before", loadBefore);
        m.put("load_after", loadAfter);
        m.put("errors", errors);
        return Json.write(m);
    }

    private static String ms(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, v < 10 ? "%.2f" : "%.1f", v);
    }

    boolean drainComplete() {
        return drainEnd.equals("complete");
    }

    private static String mib(long kb) {
        return kb < 0 ? "-" : String.format(Locale.ROOT, "%.1f", kb / 1024.0);
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.0f", v);
    }

    private static Object round(double v, int digits) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return null;
        }
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
