package io.conduit.security;

import java.util.Set;

/**
 * Publish and subscribe permissions, asked on the event loop for every PUBLISH and SUBSCRIBE: implementations must
 * answer from memory (cache decisions, load rules in the background).
 */
public interface Authorizer {

    boolean canPublish(ClientIdentity client, String topic, int qos, boolean retain);

    boolean canSubscribe(ClientIdentity client, String filter, int qos);

    /**
     * Who a connected client is, for permission checks: its client id, its username (verified when an authentication
     * provider vouched for it) and the groups the device registry (or another provider) put it in.
     */
    record ClientIdentity(String clientId, String username, Set<String> groups) {

        public ClientIdentity {
            groups = groups == null ? Set.of() : Set.copyOf(groups);
        }

        public ClientIdentity(String clientId, String username) {
            this(clientId, username, Set.of());
        }
    }
}
