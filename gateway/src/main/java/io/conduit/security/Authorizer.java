package io.conduit.security;

/**
 * Publish and subscribe permissions, asked on the event loop for every PUBLISH and SUBSCRIBE: implementations must
 * answer from memory (cache decisions, load rules in the background).
 */
public interface Authorizer {

    boolean canPublish(ClientIdentity client, String topic, int qos, boolean retain);

    boolean canSubscribe(ClientIdentity client, String filter, int qos);

    /** Who a connected client is, for permission checks. */
    record ClientIdentity(String clientId, String username) {
    }
}
