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

    /**
     * Decides on one incoming message.
     *
     * @param client the publisher
     * @param packet the message as received (or as the previous interceptor left it)
     * @return {@link PublishAction#proceed} with the message to route, possibly changed, or {@link PublishAction#drop}
     */
    default CompletionStage<PublishAction> onPublish(ClientInfo client, PublishPacket packet) {
        return CompletableFuture.completedFuture(PublishAction.proceed(packet));
    }

    /**
     * What to do with an intercepted message.
     *
     * @param packet     the message to route (possibly changed); null when dropped
     * @param reasonCode for a dropped QoS 1/2 message, the MQTT 5.0 PUBACK/PUBREC reason code
     * @param reason     for a dropped message, a reason string for 5.0 clients, or null
     */
    record PublishAction(PublishPacket packet, int reasonCode, String reason) {

        /**
         * Goes on with this message.
         *
         * @param packet the message, changed or not
         * @return the action
         */
        public static PublishAction proceed(PublishPacket packet) {
            return new PublishAction(packet, 0, null);
        }

        /**
         * Drops the message.
         *
         * @param reasonCode the PUBACK/PUBREC failure code for a QoS 1/2 message, 0x80 and up (a lower code is sent
         *                   as 0x80 Unspecified error)
         * @param reason     a reason string, or null
         * @return the action
         */
        public static PublishAction drop(int reasonCode, String reason) {
            return new PublishAction(null, reasonCode, reason);
        }

        /**
         * Whether the message is dropped.
         *
         * @return true when dropped
         */
        public boolean dropped() {
            return packet == null;
        }
    }
}
