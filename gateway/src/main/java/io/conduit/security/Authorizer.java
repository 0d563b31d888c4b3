package io.conduit.security;

import java.util.Set;

/**
 * Publish and subscribe permissions, asked on the event loop for every PUBLISH and SUBSCRIBE: implementations must
 * answer from memory (cache decisions, load rules in the background).
 */
public interface Authorizer {

    boolean canPublish(ClientIdentity client, String topic, int qos, boolean retain);

    /** Whether the client may subscribe to {@code filter}, a filter or {@code $share/group/filter}. */
    boolean canSubscribe(ClientIdentity client, String filter, int qos);

    /**
     * The permissions of one connected client, made once per connection and kept by its session. The default
     * delivers every message (a granted subscription is the whole answer) and asks {@link #canPublish} for the will.
     */
    default ClientPermissions permissions(ClientIdentity client) {
        return new ClientPermissions() {
            @Override
            public boolean mayReceive(String topic) {
                return true;
            }

            @Override
            public boolean mayPublish(String topic, int qos, boolean retain) {
                return canPublish(client, topic, qos, retain);
            }
        };
    }

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
