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

    default CompletionStage<Decision> authorizePublish(ClientInfo client, String topic, int qos, boolean retain) {
        return CompletableFuture.completedFuture(Decision.next());
    }

    default CompletionStage<Decision> authorizeSubscribe(ClientInfo client, String topicFilter, int qos) {
        return CompletableFuture.completedFuture(Decision.next());
    }
}
