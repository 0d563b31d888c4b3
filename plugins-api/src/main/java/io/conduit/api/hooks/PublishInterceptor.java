package io.conduit.api.hooks;

import io.conduit.api.mqtt.ClientInfo;
import io.conduit.api.mqtt.PublishPacket;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Sees every PUBLISH a client sends, after authorization and before routing, and may change or drop it.
 * Interceptors run in plugin priority order, each getting the packet the previous one returned. Messages of one
 * client keep their order whatever the interceptors take.
 */
public interface PublishInterceptor {

    default CompletionStage<PublishAction> onPublish(ClientInfo client, PublishPacket packet) {
        return CompletableFuture.completedFuture(PublishAction.proceed(packet));
    }

    /**
     * What to do with an intercepted message.
     *
     * @param packet     the message to route (possibly changed); null when dropped
     * @param reasonCode for a dropped QoS 1/2 message, the MQTT 5.0 PUBACK/PUBREC reason code
     */
    record PublishAction(PublishPacket packet, int reasonCode, String reason) {

        public static PublishAction proceed(PublishPacket packet) {
            return new PublishAction(packet, 0, null);
        }

        public static PublishAction drop(int reasonCode, String reason) {
            return new PublishAction(null, reasonCode, reason);
        }

        public boolean dropped() {
            return packet == null;
        }
    }
}
