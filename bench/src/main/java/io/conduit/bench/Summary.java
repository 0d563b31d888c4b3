package io.conduit.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the JSON lines of several runs and prints medians per label and the ratio of each label to a baseline
 * label: one table for message runs (per scenario, QoS and payload: delivered msgs/s, e2e latency), one for
 * connection runs (connections/s, connect latency, broker bytes per connection).
 */
final class Summary {

    private Summary() {
    }

    static void print(Path file, String baseline) throws IOException {
        Map<String, Map<String, List<Map<String, Object>>>> messages = new LinkedHashMap<>();
        Map<String, Map<String, List<Map<String, Object>>>> connections = new LinkedHashMap<>();
        List<String> labels = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            line = line.trim();
            if (!line.startsWith("{")) {
                continue;
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> r = (Map<String, Object>) Json.parse(line);
            String label = (String) r.get("label");
            if (!labels.contains(label)) {
                labels.add(label);
            }
            boolean conn = r.containsKey("connections_per_s");
            String key = conn ? r.get("scenario") + "|" + (long) num(r, "connections")
                    : r.get("scenario") + "|" + (long) num(r, "qos") + "|" + (long) num(r, "payload");
            (conn ? connections : messages).computeIfAbsent(key, k -> new LinkedHashMap<>())
                    .computeIfAbsent(label, k -> new ArrayList<>()).add(r);
        }
        if (baseline != null && labels.remove(baseline)) {
            labels.add(baseline);
        } else {
            baseline = null;
        }
        List<String> others = new ArrayList<>(labels);
        others.remove(baseline);
        if (!messages.isEmpty()) {
            printMessages(messages, labels, others, baseline);
        }
        if (!connections.isEmpty()) {
            if (!messages.isEmpty()) {
                System.out.println();
            }
            printConnections(connections, labels, others, baseline);
        }
    }

    private static void printMessages(Map<String, Map<String, List<Map<String, Object>>>> groups, List<String> labels,
                                      List<String> others, String baseline) {
        Table t = new Table("scenario", "QoS", "payload B");
        t.columns(labels, " msg/s");
        t.ratioColumns(others, baseline, " msg/s");
        t.columns(labels, " e2e p50 / p99 / p99.9 ms");
        t.ratioColumns(others, baseline, " e2e p99");
        t.header("runs per target", "lost", "errors");
        for (Map.Entry<String, Map<String, List<Map<String, Object>>>> g : groups.entrySet()) {
            String[] k = g.getKey().split("\\|");
            List<String> row = new ArrayList<>(List.of(k[0], k[1], k[2]));
            Map<String, List<Map<String, Object>>> runs = g.getValue();
            medians(row, runs, labels, "delivered_per_s", "%.0f");
            ratios(row, runs, others, baseline, "delivered_per_s");
            for (String l : labels) {
                List<Map<String, Object>> rs = runs.get(l);
                row.add(fmt(median(rs, "latency_p50_ms"), "%.2f") + " / " + fmt(median(rs, "latency_p99_ms"), "%.2f")
                        + " / " + fmt(median(rs, "latency_p999_ms"), "%.2f"));
            }
            ratios(row, runs, others, baseline, "latency_p99_ms");
            row.add(runCounts(runs, labels));
            row.add(String.valueOf((long) sum(runs, "lost")));
            row.add(String.valueOf(errorCount(runs)));
            t.row(row);
        }
        t.print();
    }

    private static void printConnections(Map<String, Map<String, List<Map<String, Object>>>> groups,
                                         List<String> labels, List<String> others, String baseline) {
        Table t = new Table("scenario", "connections");
        t.columns(labels, " conn/s");
        t.ratioColumns(others, baseline, " conn/s");
        t.columns(labels, " connect p50 / p99 ms");
        t.columns(labels, " broker B/conn");
        t.ratioColumns(others, baseline, " B/conn");
        t.columns(labels, " opened");
        t.header("runs per target", "failed", "errors");
        for (Map.Entry<String, Map<String, List<Map<String, Object>>>> g : groups.entrySet()) {
            String[] k = g.getKey().split("\\|");
            List<String> row = new ArrayList<>(List.of(k[0], k[1]));
            Map<String, List<Map<String, Object>>> runs = g.getValue();
            medians(row, runs, labels, "connections_per_s", "%.0f");
            ratios(row, runs, others, baseline, "connections_per_s");
            for (String l : labels) {
                List<Map<String, Object>> rs = runs.get(l);
                row.add(fmt(median(rs, "connect_p50_ms"), "%.2f") + " / " + fmt(median(rs, "connect_p99_ms"), "%.2f"));
            }
            medians(row, runs, labels, "broker_bytes_per_connection", "%.0f");
            ratios(row, runs, others, baseline, "broker_bytes_per_connection");
            medians(row, runs, labels, "connections_opened", "%.0f");
            row.add(runCounts(runs, labels));
            row.add(String.valueOf((long) sum(runs, "connections_failed")));
            row.add(String.valueOf(errorCount(runs)));
            t.row(row);
        }
        t.print();
    }

    private static void medians(List<String> row, Map<String, List<Map<String, Object>>> runs, List<String> labels,
                                String field, String pattern) {
        for (String l : labels) {
            row.add(fmt(median(runs.get(l), field), pattern));
        }
    }

    private static void ratios(List<String> row, Map<String, List<Map<String, Object>>> runs, List<String> others,
                               String baseline, String field) {
        if (baseline == null) {
            return;
        }
        double base = median(runs.get(baseline), field);
        for (String l : others) {
            row.add(fmt(median(runs.get(l), field) / base, "%.2f"));
        }
    }

    private static String runCounts(Map<String, List<Map<String, Object>>> runs, List<String> labels) {
        List<String> n = new ArrayList<>();
        for (String l : labels) {
            n.add(String.valueOf(runs.getOrDefault(l, List.of()).size()));
        }
        return String.join("/", n);
    }

    private static double sum(Map<String, List<Map<String, Object>>> runs, String field) {
        double total = 0;
        for (List<Map<String, Object>> rs : runs.values()) {
            for (Map<String, Object> r : rs) {
                total += num(r, field);
            }
        }
        return total;
    }

    private static int errorCount(Map<String, List<Map<String, Object>>> runs) {
        int n = 0;
        for (List<Map<String, Object>> rs : runs.values()) {
            for (Map<String, Object> r : rs) {
                n += ((List<?>) r.getOrDefault("errors", List.of())).size();
            }
        }
        return n;
    }

    /** A markdown table: the first columns left-aligned keys, the rest right-aligned figures. */
    private static final class Table {
        private final List<String> head = new ArrayList<>();
        private final int keys;
        private final List<List<String>> rows = new ArrayList<>();

        Table(String... keyColumns) {
            head.addAll(List.of(keyColumns));
            keys = keyColumns.length;
        }

        void columns(List<String> labels, String suffix) {
            for (String l : labels) {
                head.add(l + suffix);
            }
        }

        void ratioColumns(List<String> others, String baseline, String suffix) {
            if (baseline != null) {
                for (String l : others) {
                    head.add(l + " / " + baseline + suffix);
                }
            }
        }

        void header(String... more) {
            head.addAll(List.of(more));
        }

        void row(List<String> cells) {
            rows.add(cells);
        }

        void print() {
            StringBuilder sep = new StringBuilder("|");
            for (int i = 0; i < head.size(); i++) {
                sep.append(i < keys ? "---|" : "--:|");
            }
            System.out.println("| " + String.join(" | ", head) + " |");
            System.out.println(sep);
            for (List<String> r : rows) {
                System.out.println("| " + String.join(" | ", r) + " |");
            }
        }
    }

    private static double median(List<Map<String, Object>> rs, String field) {
        if (rs == null) {
            return Double.NaN;
        }
        List<Double> v = new ArrayList<>();
        for (Map<String, Object> r : rs) {
            Object o = r.get(field);
            if (o instanceof Number n) {
                v.add(n.doubleValue());
            }
        }
        if (v.isEmpty()) {
            return Double.NaN;
        }
        Collections.sort(v);
        int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }

    private static double num(Map<String, Object> r, String field) {
        Object o = r.get(field);
        return o instanceof Number n ? n.doubleValue() : 0;
    }

    private static String fmt(double v, String pattern) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, pattern, v);
    }
}
