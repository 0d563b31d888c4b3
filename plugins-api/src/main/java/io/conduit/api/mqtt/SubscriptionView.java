package io.conduit.api.mqtt;

import java.util.Objects;

/**
 * One subscription of a session, with its MQTT 5.0 options. Immutable; the {@code with...} methods make changed
 * copies, for a {@link io.conduit.api.hooks.SubscribeInterceptor} or the
 * {@link io.conduit.api.services.Subscriptions} service.
 *
 * @param topicFilter       the topic filter, without any {@code $share/group/} prefix
 * @param shareGroup        the shared subscription group, or null for a normal subscription
 * @param qos               the maximum QoS: 0, 1 or 2
 * @param noLocal           5.0 No Local: messages the client published itself are not sent back
 * @param retainAsPublished 5.0 Retain As Published: keep the RETAIN flag of forwarded messages
 * @param retainHandling    5.0 Retain Handling: 0 send retained messages on subscribe, 1 only for a new
 *                          subscription, 2 never
 * @param identifier        5.0 Subscription Identifier, 0 when none
 */
public record SubscriptionView(String topicFilter, String shareGroup, int qos, boolean noLocal,
                               boolean retainAsPublished, int retainHandling, int identifier) {

    /**
     * Checks and copies the values.
     *
     * @param topicFilter see the record component
     * @param shareGroup see the record component
     * @param qos see the record component
     * @param noLocal see the record component
     * @param retainAsPublished see the record component
     * @param retainHandling see the record component
     * @param identifier see the record component
     */
    public SubscriptionView {
        Objects.requireNonNull(topicFilter, "topicFilter");
        if (qos < 0 || qos > 2) {
            throw new IllegalArgumentException("QoS must be 0, 1 or 2: " + qos);
        }
        if (retainHandling < 0 || retainHandling > 2) {
            throw new IllegalArgumentException("Retain Handling must be 0, 1 or 2: " + retainHandling);
        }
    }

    /**
     * A plain subscription with default options: not shared, no No Local, no Retain As Published, retained messages
     * sent, no identifier.
     *
     * @param topicFilter the topic filter (wildcards allowed)
     * @param qos         the maximum QoS
     * @return the subscription
     */
    public static SubscriptionView of(String topicFilter, int qos) {
        return new SubscriptionView(topicFilter, null, qos, false, false, 0, 0);
    }

    /**
     * The filter as a client writes it: with the {@code $share/group/} prefix for a shared subscription.
     *
     * @return the key of the subscription within its session
     */
    public String fullFilter() {
        return shareGroup == null ? topicFilter : "$share/" + shareGroup + "/" + topicFilter;
    }

    /**
     * A copy with another topic filter.
     *
     * @param filter the new filter
     * @return the changed copy
     */
    public SubscriptionView withTopicFilter(String filter) {
        return new SubscriptionView(filter, shareGroup, qos, noLocal, retainAsPublished, retainHandling, identifier);
    }

    /**
     * A copy with another maximum QoS.
     *
     * @param newQos 0, 1 or 2
     * @return the changed copy
     */
    public SubscriptionView withQos(int newQos) {
        return new SubscriptionView(topicFilter, shareGroup, newQos, noLocal, retainAsPublished, retainHandling,
                identifier);
    }

    /**
     * A copy with other 5.0 options.
     *
     * @param newNoLocal           No Local
     * @param newRetainAsPublished Retain As Published
     * @param newRetainHandling    Retain Handling, 0 to 2
     * @return the changed copy
     */
    public SubscriptionView withOptions(boolean newNoLocal, boolean newRetainAsPublished, int newRetainHandling) {
        return new SubscriptionView(topicFilter, shareGroup, qos, newNoLocal, newRetainAsPublished, newRetainHandling,
                identifier);
    }
}
