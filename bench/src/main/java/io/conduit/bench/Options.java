package io.conduit.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Command-line settings, {@code --name value}; every one has a default. */
final class Options {

    static final String USAGE = """
            usage: java -jar conduit-bench.jar [run] [--option value ...]
                   java -jar conduit-bench.jar summarize FILE.jsonl [--baseline LABEL]
                   java -jar conduit-bench.jar header      (the markdown header of the rows)

            run options (defaults in brackets):
              --host H              broker address [127.0.0.1]
              --port P              broker MQTT port [1883]
              --label NAME          what is measured, e.g. conduit-durable; goes into every row [broker]
              --scenario LIST       comma list of [persistent-qos1]:
                                      persistent-qos1         N publishers -> 1 persistent QoS 1 session, online
                                      persistent-qos1-rate    the same at a fixed total rate (latency)
                                      persistent-qos1-offline the session is offline while publishers run (every
                                                              message stored), then reconnects: published msg/s is
                                                              the store's rate, delivered msg/s the drain from it
                                      fan-in, fan-out, pairs  clean sessions, --qos 0 or 1
              --payload LIST        comma list of payload sizes in bytes, at least 16 [16]
              --publishers N        publishing connections (fan-in, persistent-qos1, pairs) [4]
              --subscribers N       subscribing connections (fan-out; pairs uses one per publisher) [4]
              --qos Q               QoS of fan-in / fan-out / pairs publishes and subscriptions [1]
              --window N            unacknowledged QoS 1 PUBLISHes per publisher [128]
              --rate R              total msgs/s over all publishers; 0 = as fast as the window allows
                                    [0; persistent-qos1-rate: 1000]
              --duration S          measured seconds [15]
              --warmup S            seconds published before measuring (JIT, caches) [3]
              --drain S             most seconds to wait after publishing stops for acks and deliveries [10]
              --protocol V          MQTT version: 3.1.1 (or 4) or 5 [3.1.1]
              --session-expiry S    5.0 Session Expiry Interval of persistent subscribers [3600]
              --threads N           Netty event loop threads of the bench [1]
              --json-out FILE       also append each JSON summary line to FILE
              --no-header           do not print the markdown table header
            """;

    String host = "127.0.0.1";
    int port = 1883;
    String label = "broker";
    List<String> scenarios = List.of("persistent-qos1");
    List<Integer> payloads = List.of(16);
    int publishers = 4;
    int subscribers = 4;
    int qos = 1;
    int window = 128;
    Double rate;
    double duration = 15;
    double warmup = 3;
    double drain = 10;
    int protocol = 4;
    long sessionExpiry = 3600;
    int threads = 1;
    String jsonOut;
    boolean header = true;

    static Options parse(String[] args) {
        Options o = new Options();
        Map<String, String> kv = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + a);
            }
            String name = a.substring(2);
            if (name.equals("no-header")) {
                kv.put(name, "true");
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(a + " needs a value");
            }
            kv.put(name, args[++i]);
        }
        for (Map.Entry<String, String> e : kv.entrySet()) {
            String v = e.getValue();
            switch (e.getKey()) {
                case "host" -> o.host = v;
                case "port" -> o.port = Integer.parseInt(v);
                case "label" -> o.label = v;
                case "scenario" -> o.scenarios = List.of(v.split(","));
                case "payload" -> {
                    List<Integer> sizes = new ArrayList<>();
                    for (String s : v.split(",")) {
                        sizes.add(parseSize(s));
                    }
                    o.payloads = sizes;
                }
                case "publishers" -> o.publishers = Integer.parseInt(v);
                case "subscribers" -> o.subscribers = Integer.parseInt(v);
                case "qos" -> o.qos = Integer.parseInt(v);
                case "window" -> o.window = Integer.parseInt(v);
                case "rate" -> o.rate = Double.parseDouble(v);
                case "duration" -> o.duration = Double.parseDouble(v);
                case "warmup" -> o.warmup = Double.parseDouble(v);
                case "drain" -> o.drain = Double.parseDouble(v);
                case "protocol" -> o.protocol = switch (v) {
                    case "3.1.1", "4", "311" -> 4;
                    case "5", "5.0" -> 5;
                    default -> throw new IllegalArgumentException("protocol must be 3.1.1 or 5");
                };
                case "session-expiry" -> o.sessionExpiry = Long.parseLong(v);
                case "threads" -> o.threads = Integer.parseInt(v);
                case "json-out" -> o.jsonOut = v;
                case "no-header" -> o.header = false;
                default -> throw new IllegalArgumentException("unknown option --" + e.getKey());
            }
        }
        for (int p : o.payloads) {
            if (p < Payload.HEADER) {
                throw new IllegalArgumentException("payload must be at least " + Payload.HEADER + " bytes");
            }
        }
        if (o.qos < 0 || o.qos > 1) {
            throw new IllegalArgumentException("--qos must be 0 or 1");
        }
        if (o.window < 1 || o.window > 65000) {
            throw new IllegalArgumentException("--window must be 1..65000");
        }
        return o;
    }

    /** 16, 1024, 1k, 1KiB, 64k. */
    static int parseSize(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT).replace("ib", "").replace("b", "");
        if (t.endsWith("k")) {
            return Integer.parseInt(t.substring(0, t.length() - 1)) * 1024;
        }
        if (t.endsWith("m")) {
            return Integer.parseInt(t.substring(0, t.length() - 1)) * 1024 * 1024;
        }
        return Integer.parseInt(t);
    }

    String protocolName() {
        return protocol == 5 ? "5.0" : "3.1.1";
    }
}
