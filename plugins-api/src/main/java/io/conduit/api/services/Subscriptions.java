package io.conduit.api.services;

import io.conduit.api.mqtt.SubscriptionView;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The subscriptions of sessions, changed on behalf of a client: of a connected client, or of a persistent session
 * whose client is offline (its queue then collects the matching messages). Changes are stored like the client's own
 * SUBSCRIBE and UNSUBSCRIBE; no authorizer or interceptor is asked.
 */
public interface Subscriptions {

    /**
     * Adds a subscription to a session, or replaces the one with the same filter. Retained messages go to the
     * session as the subscription's Retain Handling says, as for a SUBSCRIBE.
     *
     * @param clientId     the session's client id
     * @param subscription the subscription; its filter must be valid (wildcards allowed)
     * @return completes with true once the subscription is in place (and stored for a persistent session), false
     *         when there is no session with that client id
     * @throws IllegalArgumentException when the filter is not valid
     */
    CompletionStage<Boolean> subscribe(String clientId, SubscriptionView subscription);

    /**
     * Removes a subscription from a session.
     *
     * @param clientId   the session's client id
     * @param fullFilter the filter as the client would write it, with any {@code $share/group/} prefix
     * @return completes with true once removed (and stored), false when the session or the subscription does not
     *         exist
     */
    CompletionStage<Boolean> unsubscribe(String clientId, String fullFilter);

    /**
     * The subscriptions of a session now.
     *
     * @param clientId the session's client id
     * @return an immutable list, empty when there is no such session
     */
    List<SubscriptionView> of(String clientId);
}
