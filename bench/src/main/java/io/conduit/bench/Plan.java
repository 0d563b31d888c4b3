package io.conduit.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * What one scenario run sets up: publishers (topic, QoS, window, rate) and subscribers (filter, QoS, session kind).
 * A new scenario is a new factory method here; the {@link Runner} runs any plan the same way.
 */
record Plan(String scenario, List<Pub> publishers, List<Sub> subscribers, int payload, double rate) {

    /** A publishing connection. {@code rate} is msgs/s for this publisher, 0 = as fast as the window allows. */
    record Pub(String topic, int qos, int window, double rate) {
    }

    /**
     * A subscribing connection; {@code persistent} keeps its session (3.1.1 clean session 0 / 5.0 expiry);
     * {@code offline} disconnects it while the publishers run and reconnects it afterwards, so that every message
     * is stored first and delivered from the store.
     */
    record Sub(String filter, int qos, boolean persistent, boolean offline) {
        Sub(String filter, int qos, boolean persistent) {
            this(filter, qos, persistent, false);
        }
    }

    /** Whether the subscribers are away while publishing (delivery is measured after, from the store). */
    boolean offline() {
        return subscribers.stream().anyMatch(Sub::offline);
    }

    /** Scenarios that run once per --qos level; the persistent ones are QoS 1 by definition. */
    static boolean usesQos(String scenario) {
        return switch (scenario) {
            case "fan-in", "fan-out", "pairs", "latency" -> true;
            default -> false;
        };
    }

    /** Builds the plan of a named scenario; {@code base} makes its topics unique to this run. */
    static Plan of(String scenario, Options o, int payload, int qos, String base) {
        double rate = o.rate == null ? 0 : o.rate;
        int window = qos == 2 ? o.windowQos2 : o.window;
        return switch (scenario) {
            case "persistent-qos1" -> sharedTopic(scenario, o.publishers, true, o.window, rate, payload, base);
            case "persistent-qos1-rate" -> sharedTopic(scenario, o.publishers, true, o.window,
                    o.rate == null ? 1000 : o.rate, payload, base);
            case "persistent-qos1-offline" -> {
                Plan p = sharedTopic(scenario, o.publishers, true, o.window, rate, payload, base);
                yield new Plan(scenario, p.publishers(), List.of(new Sub(base + "/in", 1, true, true)), payload,
                        p.rate());
            }
            case "fan-in" -> fanIn(scenario, o.publishers, qos, window, rate, payload, base);
            case "latency" -> fanIn(scenario, o.publishers, qos, window, o.rate == null ? 1000 : o.rate, payload,
                    base);
            case "fan-out" -> fanOut(o.subscribers, qos, window, rate, payload, base);
            case "pairs" -> pairs(o.publishers, qos, window, rate, payload, base);
            default -> throw new IllegalArgumentException("unknown scenario " + scenario);
        };
    }

    /** N publishers on one topic -> one persistent QoS 1 subscriber of that topic. */
    private static Plan sharedTopic(String name, int publishers, boolean persistent, int window, double rate,
                                    int payload, String base) {
        String topic = base + "/in";
        List<Pub> pubs = new ArrayList<>();
        for (int i = 0; i < publishers; i++) {
            pubs.add(new Pub(topic, 1, window, rate / publishers));
        }
        return new Plan(name, pubs, List.of(new Sub(topic, 1, persistent)), payload, rate);
    }

    /** N publishers, each on its own topic -> one subscriber of a wildcard filter matching them all. */
    private static Plan fanIn(String name, int publishers, int qos, int window, double rate, int payload,
                              String base) {
        List<Pub> pubs = new ArrayList<>();
        for (int i = 0; i < publishers; i++) {
            pubs.add(new Pub(base + "/in/" + i, qos, window, rate / publishers));
        }
        return new Plan(name, pubs, List.of(new Sub(base + "/in/+", qos, false)), payload, rate);
    }

    private static Plan fanOut(int subscribers, int qos, int window, double rate, int payload, String base) {
        String topic = base + "/out";
        List<Sub> subs = new ArrayList<>();
        for (int i = 0; i < subscribers; i++) {
            subs.add(new Sub(topic, qos, false));
        }
        return new Plan("fan-out", List.of(new Pub(topic, qos, window, rate)), subs, payload, rate);
    }

    private static Plan pairs(int publishers, int qos, int window, double rate, int payload, String base) {
        List<Pub> pubs = new ArrayList<>();
        List<Sub> subs = new ArrayList<>();
        for (int i = 0; i < publishers; i++) {
            String topic = base + "/pair/" + i;
            pubs.add(new Pub(topic, qos, window, rate / publishers));
            subs.add(new Sub(topic, qos, false));
        }
        return new Plan("pairs", pubs, subs, payload, rate);
    }

    /** MQTT topic filter matching, enough for the filters plans use (+ and #). */
    static boolean matches(String filter, String topic) {
        String[] f = filter.split("/", -1);
        String[] t = topic.split("/", -1);
        for (int i = 0; i < f.length; i++) {
            if (f[i].equals("#")) {
                return true;
            }
            if (i >= t.length || !(f[i].equals("+") || f[i].equals(t[i]))) {
                return false;
            }
        }
        return f.length == t.length;
    }
}
