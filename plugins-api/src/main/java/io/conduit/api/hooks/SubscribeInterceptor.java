package io.conduit.api.hooks;

import io.conduit.api.mqtt.ClientInfo;
import io.conduit.api.mqtt.SubscriptionView;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Sees every topic filter of a SUBSCRIBE after validation and authorization, and may change the subscription (its
 * filter, QoS or options) or refuse it with a SUBACK reason code. Interceptors run in plugin priority order, each
 * getting what the previous one returned; the filters of one SUBSCRIBE are decided together and the SUBACK keeps
 * their order.
 */
public interface SubscribeInterceptor {

    /**
     * Decides on one subscription.
     *
     * @param client       the subscribing client
     * @param subscription the subscription as asked for
     * @return {@link SubscribeAction#proceed} with the subscription to make, possibly changed, or
     *         {@link SubscribeAction#refuse}
     */
    default CompletionStage<SubscribeAction> onSubscribe(ClientInfo client, SubscriptionView subscription) {
        return CompletableFuture.completedFuture(SubscribeAction.proceed(subscription));
    }

    /**
     * What to do with one subscription.
     *
     * @param subscription the subscription to make; null when refused
     * @param reasonCode   for a refusal, the MQTT 5.0 SUBACK reason code (0x80 and up; 0x87 not authorized,
     *                     0x8F topic filter invalid, 0x97 quota exceeded ...); 3.x clients get 0x80
     * @param reason       for a refusal, a reason string for 5.0 clients, or null
     */
    record SubscribeAction(SubscriptionView subscription, int reasonCode, String reason) {

        /**
         * Subscribe, as given.
         *
         * @param subscription the subscription to make
         * @return the action
         */
        public static SubscribeAction proceed(SubscriptionView subscription) {
            return new SubscribeAction(subscription, 0, null);
        }

        /**
         * Do not subscribe; the SUBACK carries the reason code.
         *
         * @param reasonCode a SUBACK failure code, 0x80 or above
         * @param reason     a reason string, or null
         * @return the action
         * @throws IllegalArgumentException when the code is not a failure code
         */
        public static SubscribeAction refuse(int reasonCode, String reason) {
            if (reasonCode < 0x80 || reasonCode > 0xFF) {
                throw new IllegalArgumentException("a SUBACK failure code is 0x80 to 0xFF: " + reasonCode);
            }
            return new SubscribeAction(null, reasonCode, reason);
        }

        /**
         * Whether the subscription is refused.
         *
         * @return true for a refusal
         */
        public boolean refused() {
            return subscription == null;
        }
    }
}
