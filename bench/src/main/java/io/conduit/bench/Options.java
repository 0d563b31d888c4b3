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
                                      fan-in                  --publishers on distinct topics (base/in/<i>) ->
                                                              1 wildcard subscriber (base/in/+)
                                      fan-out                 1 publisher -> --subscribers on one topic
                                      pairs                   --publishers publisher/subscriber pairs, a topic each
                                      latency                 fan-in at a fixed total rate (--rate, default 1000)
                                      connections             --connections idle clients opened at --connect-rate;
                                                              connect latency, broker RSS per connection
              --payload LIST        comma list of payload sizes in bytes, at least 16 [16]
              --publishers N        publishing connections (fan-in, persistent-qos1, pairs) [4]
              --subscribers N       subscribing connections (fan-out; pairs uses one per publisher) [4]
              --qos LIST            comma list of QoS levels (0, 1, 2) of fan-in / fan-out / pairs / latency
                                    publishes and subscriptions, one run each [1]
              --window N            unacknowledged QoS 1 PUBLISHes per publisher [128]
              --window-qos2 N       unfinished QoS 2 flows (PUBLISH sent, PUBCOMP not yet received) per
                                    publisher; keep it at or below the broker's inflight limit, which Conduit
                                    (max-inflight, 32) enforces on incoming QoS 2 [32]
              --rate R              total msgs/s over all publishers; 0 = as fast as the window allows
                                    [0; persistent-qos1-rate: 1000]
              --duration S          measured seconds [15]
              --warmup S            seconds published before measuring (JIT, caches) [3]
              --drain S             most seconds to wait after publishing stops for acks and deliveries [10]
              --protocol V          MQTT version: 3.1.1 (or 4) or 5 [3.1.1]
              --session-expiry S    5.0 Session Expiry Interval of persistent subscribers [3600]
              --threads N           Netty event loop threads of the bench (per process) [1]
              --keep-alive S        keep alive in CONNECT [60; connections: 600]
              --username U          user name in every CONNECT; {i} is replaced by the connection's number
              --password P          password in every CONNECT (needs --username); {i} as in --username

            connections scenario:
              --connections N       idle connections to open and hold [1000]
              --connect-rate R      most new connections per second over all processes; 0 = unbounded [5000]
              --connect-concurrency N  most connection attempts unanswered at once, per process [1000]
              --hold S              seconds to hold every connection idle before measuring the broker [5]
              --broker-pid PID      the broker's process: VmRSS from /proc/PID/status before, when all are
                                    connected and after closing; its open-file limit from /proc/PID/limits
              --processes N         bench JVMs sharing the connections (one open file per connection each);
                                    0 = as many as the open-file limit needs [0]
              --sources LIST        local addresses to connect from, round robin (each gives ~28k ephemeral
                                    ports towards one broker port); default: the kernel's choice, or for more
                                    than 25,000 connections to a loopback broker 127.0.0.2, 127.0.0.3, ...
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
    List<Integer> qosLevels = List.of(1);
    int window = 128;
    int windowQos2 = 32;
    Double rate;
    double duration = 15;
    double warmup = 3;
    double drain = 10;
    int protocol = 4;
    long sessionExpiry = 3600;
    int threads = 1;
    String jsonOut;
    boolean header = true;
    Integer keepAlive;
    String username;
    String password;
    int connections = 1000;
    double connectRate = 5000;
    int connectConcurrency = 1000;
    double hold = 5;
    Long brokerPid;
    int processes;
    List<String> sources;
    /** Set for a child process of a multi-process connection run: its first connection's number and the run id. */
    int connectionOffset;
    String runId;

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
                case "qos" -> o.qosLevels = ints(v);
                case "window" -> o.window = Integer.parseInt(v);
                case "window-qos2" -> o.windowQos2 = Integer.parseInt(v);
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
                case "keep-alive" -> o.keepAlive = Integer.parseInt(v);
                case "username" -> o.username = v;
                case "password" -> o.password = v;
                case "connections" -> o.connections = Integer.parseInt(v);
                case "connect-rate" -> o.connectRate = Double.parseDouble(v);
                case "connect-concurrency" -> o.connectConcurrency = Integer.parseInt(v);
                case "hold" -> o.hold = Double.parseDouble(v);
                case "broker-pid" -> o.brokerPid = Long.parseLong(v);
                case "processes" -> o.processes = Integer.parseInt(v);
                case "sources" -> o.sources = List.of(v.split(","));
                case "connection-offset" -> o.connectionOffset = Integer.parseInt(v);
                case "run-id" -> o.runId = v;
                case "no-header" -> o.header = false;
                default -> throw new IllegalArgumentException("unknown option --" + e.getKey());
            }
        }
        for (int p : o.payloads) {
            if (p < Payload.HEADER) {
                throw new IllegalArgumentException("payload must be at least " + Payload.HEADER + " bytes");
            }
        }
        for (int q : o.qosLevels) {
            if (q < 0 || q > 2) {
                throw new IllegalArgumentException("--qos must be 0, 1 or 2");
            }
        }
        if (o.window < 1 || o.window > 65000 || o.windowQos2 < 1 || o.windowQos2 > 65000) {
            throw new IllegalArgumentException("--window and --window-qos2 must be 1..65000");
        }
        if (o.keepAlive != null && (o.keepAlive < 0 || o.keepAlive > 65535)) {
            throw new IllegalArgumentException("--keep-alive must be 0..65535");
        }
        if (o.password != null && o.username == null) {
            throw new IllegalArgumentException("--password needs --username");
        }
        if (o.connections < 1 || o.connectRate < 0 || o.connectConcurrency < 1 || o.processes < 0 || o.hold < 0) {
            throw new IllegalArgumentException("--connections, --connect-concurrency must be positive; --connect-rate,"
                    + " --processes, --hold not negative");
        }
        return o;
    }

    private static List<Integer> ints(String v) {
        List<Integer> l = new ArrayList<>();
        for (String s : v.split(",")) {
            l.add(Integer.parseInt(s.trim()));
        }
        return l;
    }

    /** Keep alive in CONNECT: idle connections ping rarely. */
    int keepAlive(boolean idle) {
        return keepAlive != null ? keepAlive : idle ? 600 : 60;
    }

    /** {@code template} with {i} replaced by the connection's number; null stays null. */
    static String perConnection(String template, int i) {
        return template == null ? null : template.replace("{i}", Integer.toString(i));
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
