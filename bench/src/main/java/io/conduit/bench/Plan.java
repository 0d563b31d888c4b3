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

    /** Builds the plan of a named scenario; {@code base} makes its topics unique to this run. */
    static Plan of(String scenario, Options o, int payload, String base) {
        return switch (scenario) {
            case "persistent-qos1" -> manyToOne(scenario, o.publishers, 1, true, o.window,
                    o.rate == null ? 0 : o.rate, payload, base);
            case "persistent-qos1-rate" -> manyToOne(scenario, o.publishers, 1, true, o.window,
                    o.rate == null ? 1000 : o.rate, payload, base);
            case "persistent-qos1-offline" -> {
                Plan p = manyToOne(scenario, o.publishers, 1, true, o.window, o.rate == null ? 0 : o.rate, payload,
                        base);
                yield new Plan(scenario, p.publishers(), List.of(new Sub(base + "/in", 1, true, true)), payload,
                        p.rate());
            }
            case "fan-in" -> manyToOne(scenario, o.publishers, o.qos, false, o.window,
                    o.rate == null ? 0 : o.rate, payload, base);
            case "fan-out" -> fanOut(o, payload, base);
            case "pairs" -> pairs(o, payload, base);
            default -> throw new IllegalArgumentException("unknown scenario " + scenario);
        };
    }

    private static Plan manyToOne(String name, int publishers, int qos, boolean persistent, int window, double rate,
                                  int payload, String base) {
        String topic = base + "/in";
        List<Pub> pubs = new ArrayList<>();
        for (int i = 0; i < publishers; i++) {
            pubs.add(new Pub(topic, qos, window, rate / publishers));
        }
        return new Plan(name, pubs, List.of(new Sub(topic, qos, persistent)), payload, rate);
    }

    private static Plan fanOut(Options o, int payload, String base) {
        String topic = base + "/out";
        List<Sub> subs = new ArrayList<>();
        for (int i = 0; i < o.subscribers; i++) {
            subs.add(new Sub(topic, o.qos, false));
        }
        double rate = o.rate == null ? 0 : o.rate;
        return new Plan("fan-out", List.of(new Pub(topic, o.qos, o.window, rate)), subs, payload, rate);
    }

    private static Plan pairs(Options o, int payload, String base) {
        List<Pub> pubs = new ArrayList<>();
        List<Sub> subs = new ArrayList<>();
        double rate = o.rate == null ? 0 : o.rate;
        for (int i = 0; i < o.publishers; i++) {
            String topic = base + "/pair/" + i;
            pubs.add(new Pub(topic, o.qos, o.window, rate / o.publishers));
            subs.add(new Sub(topic, o.qos, false));
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
