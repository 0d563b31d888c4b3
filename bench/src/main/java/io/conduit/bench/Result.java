package io.conduit.bench;

import org.HdrHistogram.Histogram;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one scenario run measured; printed as a markdown table row and as one line of JSON. {@code lost} counts
 * messages acknowledged to their publisher (QoS 1) or sent (QoS 0) that a subscriber had not received when the
 * drain period ended; when the drain timed out ({@code drainComplete} false) some of them may still have been on
 * their way.
 */
record Result(String scenario, String label, String protocol, int payload, int publishers, int subscribers, int qos,
              int window, double rateTarget, double seconds, double drainSeconds, boolean drainComplete,
              double deliveredPerSecond,
              double publishedPerSecond, long sent, long acked, long unacked, long delivered, long expected,
              long lost, long duplicates, long foreign, Percentiles latency, Percentiles ackLatency,
              double benchCpuPercent, String loadBefore, String loadAfter, List<String> errors) {

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
        return "| scenario | target | MQTT | payload B | pubs x window | subs | rate target msg/s | delivered msg/s "
                + "| published msg/s | lost | dup | e2e p50 ms | e2e p99 ms | e2e p99.9 ms | e2e max ms "
                + "| ack p50 ms | ack p99 ms | s | bench CPU % | load before / after |\n"
                + "|---|---|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|";
    }

    String markdownRow() {
        return String.format(Locale.ROOT,
                "| %s | %s | %s | %d | %d x %d | %d | %s | %.0f | %.0f | %s | %d | %s | %s | %s | %s | %s | %s "
                        + "| %.1f | %.0f | %s / %s |%s",
                scenario, label, protocol, payload, publishers, window, subscribers,
                rateTarget > 0 ? String.format(Locale.ROOT, "%.0f", rateTarget) : "max",
                deliveredPerSecond, publishedPerSecond, lost + (drainComplete ? "" : " (drain timed out)"), duplicates,
                ms(latency.p50()), ms(latency.p99()), ms(latency.p999()), ms(latency.max()), ms(ackLatency.p50()), ms(ackLatency.p99()), seconds,
                benchCpuPercent, loadBefore, loadAfter, errors.isEmpty() ? "" : " ERRORS: " + errors);
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
        m.put("drain_s", round(drainSeconds, 3));
        m.put("drain_complete", drainComplete);
        m.put("delivered_per_s", round(deliveredPerSecond, 1));
        m.put("published_per_s", round(publishedPerSecond, 1));
        m.put("sent", sent);
        m.put("acked", acked);
        m.put("unacked", unacked);
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

    private static Object round(double v, int digits) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return null;
        }
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
