package io.conduit.routing;

/**
 * One subscription of one session, with its MQTT 5.0 options.
 *
 * @param filter         the topic filter without any {@code $share/group/} prefix
 * @param shareGroup     the shared subscription group, or {@code null}
 * @param retainHandling 0 send retained on subscribe, 1 only when new, 2 never
 * @param identifier     5.0 Subscription Identifier, 0 when none
 */
public record Subscription(
        String clientId,
        String filter,
        String shareGroup,
        int qos,
        boolean noLocal,
        boolean retainAsPublished,
        int retainHandling,
        int identifier) {

    /** The filter as the client wrote it, the key of the subscription within its session. */
    public String key() {
        return shareGroup == null ? filter : Topics.SHARE_PREFIX + shareGroup + "/" + filter;
    }
}
