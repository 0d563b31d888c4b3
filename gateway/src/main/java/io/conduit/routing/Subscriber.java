package io.conduit.routing;

import java.util.concurrent.CompletionStage;

/** What the router delivers to: a session, local today, possibly a remote node's proxy tomorrow. */
public interface Subscriber {

    String clientId();

    /** Whether a connection is attached now; shared subscriptions prefer online members. */
    boolean isOnline();

    /**
     * Hands over one copy of a message.
     *
     * @param qos             the QoS to send at (already the minimum of message and subscription)
     * @param retain          the RETAIN flag to send
     * @param subscriptionIds 5.0 Subscription Identifiers of the subscriptions that matched; empty when none
     * @return null, or a stage that completes once the copy is durable (a QoS 1/2 message for a persistent session)
     */
    CompletionStage<Void> deliver(Message message, int qos, boolean retain, int[] subscriptionIds);

    /**
     * Whether messages on {@code topic} may be delivered here (the subscriber's read permission). Asked for every
     * matching subscription of every message: must answer from memory.
     */
    default boolean mayReceive(String topic) {
        return true;
    }

    /** Hands over a retained message a new subscription asked for (sent with RETAIN set). */
    default void deliverRetained(Message message, int qos, int[] subscriptionIds) {
        deliver(message, qos, true, subscriptionIds);
    }
}
