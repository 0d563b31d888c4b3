package io.conduit.api.hooks;

import io.conduit.api.mqtt.ClientInfo;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Sees every topic filter of an UNSUBSCRIBE and may keep the subscription, answering an UNSUBACK reason code (for
 * example 0x87 for a subscription the plugin manages itself). Interceptors run in plugin priority order; the first
 * refusal decides.
 */
public interface UnsubscribeInterceptor {

    /**
     * Decides on one filter of an UNSUBSCRIBE.
     *
     * @param client      the client
     * @param topicFilter the filter as the client wrote it (with any {@code $share/group/} prefix)
     * @return {@link Decision#allow()} or {@link Decision#next()} to unsubscribe, {@link Decision#deny} to keep the
     *         subscription; 5.0 clients get the decision's reason code in UNSUBACK
     */
    default CompletionStage<Decision> onUnsubscribe(ClientInfo client, String topicFilter) {
        return CompletableFuture.completedFuture(Decision.next());
    }
}
