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
 * Reads the JSON lines of several runs and prints, per scenario and payload, the median delivered msgs/s and
 * latency of each label and the ratio of each label to a baseline label.
 */
final class Summary {

    private Summary() {
    }

    static void print(Path file, String baseline) throws IOException {
        Map<String, Map<String, List<Map<String, Object>>>> groups = new LinkedHashMap<>();
        List<String> labels = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            line = line.trim();
            if (!line.startsWith("{")) {
                continue;
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> r = (Map<String, Object>) Json.parse(line);
            String key = r.get("scenario") + "|" + (long) num(r, "payload");
            String label = (String) r.get("label");
            if (!labels.contains(label)) {
                labels.add(label);
            }
            groups.computeIfAbsent(key, k -> new LinkedHashMap<>()).computeIfAbsent(label, k -> new ArrayList<>())
                    .add(r);
        }
        if (baseline != null && labels.remove(baseline)) {
            labels.add(baseline);
        } else {
            baseline = null;
        }
        StringBuilder h = new StringBuilder("| scenario | payload B |");
        StringBuilder sep = new StringBuilder("|---|--:|");
        for (String l : labels) {
            h.append(' ').append(l).append(" msg/s |");
            sep.append("--:|");
        }
        if (baseline != null) {
            for (String l : labels) {
                if (!l.equals(baseline)) {
                    h.append(' ').append(l).append(" / ").append(baseline).append(" |");
                    sep.append("--:|");
                }
            }
        }
        for (String l : labels) {
            h.append(' ').append(l).append(" e2e p50 / p99 ms |");
            sep.append("--:|");
        }
        h.append(" runs per target | lost | errors |");
        sep.append("--:|--:|--:|");
        System.out.println(h);
        System.out.println(sep);
        for (Map.Entry<String, Map<String, List<Map<String, Object>>>> g : groups.entrySet()) {
            String[] k = g.getKey().split("\\|");
            StringBuilder row = new StringBuilder("| " + k[0] + " | " + k[1] + " |");
            Map<String, Double> rate = new LinkedHashMap<>();
            List<String> runs = new ArrayList<>();
            long lost = 0;
            int errors = 0;
            for (String l : labels) {
                List<Map<String, Object>> rs = g.getValue().getOrDefault(l, List.of());
                double m = median(rs, "delivered_per_s");
                rate.put(l, m);
                row.append(' ').append(fmt(m, "%.0f")).append(" |");
                runs.add(String.valueOf(rs.size()));
                for (Map<String, Object> r : rs) {
                    lost += (long) num(r, "lost");
                    errors += ((List<?>) r.getOrDefault("errors", List.of())).size();
                }
            }
            if (baseline != null) {
                for (String l : labels) {
                    if (!l.equals(baseline)) {
                        row.append(' ').append(fmt(rate.get(l) / rate.getOrDefault(baseline, Double.NaN), "%.2f"))
                                .append(" |");
                    }
                }
            }
            for (String l : labels) {
                List<Map<String, Object>> rs = g.getValue().getOrDefault(l, List.of());
                row.append(' ').append(fmt(median(rs, "latency_p50_ms"), "%.2f")).append(" / ")
                        .append(fmt(median(rs, "latency_p99_ms"), "%.2f")).append(" |");
            }
            row.append(' ').append(String.join("/", runs)).append(" | ").append(lost).append(" | ").append(errors)
                    .append(" |");
            System.out.println(row);
        }
    }

    private static double median(List<Map<String, Object>> rs, String field) {
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
