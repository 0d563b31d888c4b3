package io.conduit.api.hooks;

import io.conduit.api.mqtt.ClientInfo;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Publish and subscribe permissions, asked for every PUBLISH and every filter of a SUBSCRIBE. Authorizers form a
 * chain in plugin priority order; the first answer other than {@link Decision#next()} decides, and when all pass the
 * broker's own rules decide. Answer from memory where you can: this is on every message's path.
 */
public interface Authorizer {

    /**
     * May the client publish this?
     *
     * @param client the publisher
     * @param topic  the topic name
     * @param qos    the QoS of the PUBLISH
     * @param retain the RETAIN flag
     * @return the decision; a denial answers PUBACK/PUBREC with its reason code (QoS 0 messages are dropped)
     */
    default CompletionStage<Decision> authorizePublish(ClientInfo client, String topic, int qos, boolean retain) {
        return CompletableFuture.completedFuture(Decision.next());
    }

    /**
     * May the client subscribe to this filter?
     *
     * @param client      the subscriber
     * @param topicFilter the filter as written, with any {@code $share/group/} prefix
     * @param qos         the QoS asked for
     * @return the decision; a denial puts its reason code into SUBACK
     */
    default CompletionStage<Decision> authorizeSubscribe(ClientInfo client, String topicFilter, int qos) {
        return CompletableFuture.completedFuture(Decision.next());
    }
}
