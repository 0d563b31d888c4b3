package io.conduit.mqtt;

import java.util.HashMap;
import java.util.Map;

/**
 * Topic aliases the broker assigns towards one 5.0 client, up to the client's Topic Alias Maximum. The first
 * topics sent get an alias for the life of the connection; the packet that introduces an alias carries the full
 * topic, later ones an empty topic. Guarded by the session's monitor (all sends happen under it).
 */
final class OutboundAliases {

    private final int maximum;
    private final Map<String, Integer> byTopic = new HashMap<>();

    OutboundAliases(int maximum) {
        this.maximum = maximum;
    }

    /** The alias already known to the client for this topic, or 0. */
    int existing(String topic) {
        Integer alias = byTopic.get(topic);
        return alias == null ? 0 : alias;
    }

    /** The next unused alias, or 0 when all are taken. */
    int free() {
        return byTopic.size() < maximum ? byTopic.size() + 1 : 0;
    }

    void assign(String topic, int alias) {
        byTopic.put(topic, alias);
    }
}
