package io.conduit.api.hooks;

import io.conduit.api.hooks.PublishInterceptor.PublishAction;
import io.conduit.api.mqtt.PublishPacket;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Sees each copy of a message the broker hands to one subscriber's session, and may change that copy or drop it;
 * other subscribers' copies are not affected. Interceptors run in plugin priority order, each getting the packet the
 * previous one returned. The copies for one subscriber keep their order whatever the interceptors take.
 *
 * <p>When it runs: as the message is routed to the session, before the session queues it or gives it a packet
 * identifier; for a persistent session whose client is offline, that is when the message is queued (and stored), not
 * when the client comes back. A dropped copy therefore never takes a packet identifier and never waits in a queue.
 * Retained messages sent because of a new subscription pass through it too.
 *
 * <p>The packet's QoS is the QoS of this delivery (the lower of message and subscription); an interceptor may lower
 * it, never raise it. Topic, payload, retain flag and every property may change. When no plugin registers an
 * outbound interceptor, delivery costs nothing extra.
 */
public interface OutboundPublishInterceptor {

    /**
     * Decides on one copy of a message for one subscriber.
     *
     * @param subscriberId the client id of the subscriber's session (the client may be offline)
     * @param packet       the copy as it would be delivered
     * @return {@link PublishAction#proceed} with the packet to deliver, possibly changed, or {@link PublishAction#drop}
     *         (the reason code is ignored: a subscriber is not told about a dropped copy)
     */
    default CompletionStage<PublishAction> onOutboundPublish(String subscriberId, PublishPacket packet) {
        return CompletableFuture.completedFuture(PublishAction.proceed(packet));
    }
}
