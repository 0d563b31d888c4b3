package io.conduit.api.hooks;

/**
 * Told when sessions begin, are resumed by a new connection, and end. Called off the network threads, after the
 * fact; nothing a listener does changes the session.
 */
public interface SessionListener {

    /** Why a session ended. */
    enum EndReason {
        /** Its Session Expiry Interval passed while no client was connected (or it was 0 and the client left). */
        EXPIRED,
        /** A new connection of the same client id asked for a clean start. */
        CLEAN_START
    }

    /**
     * A new session was created for a connection.
     *
     * @param clientId   the client id
     * @param persistent whether it outlives the connection (Session Expiry Interval above 0)
     */
    default void onSessionCreated(String clientId, boolean persistent) {
    }

    /**
     * A new connection took up an existing session (CONNACK with session present).
     *
     * @param clientId the client id
     */
    default void onSessionResumed(String clientId) {
    }

    /**
     * A session ended: its subscriptions and queued messages are gone.
     *
     * @param clientId the client id
     * @param reason   why it ended
     */
    default void onSessionEnded(String clientId, EndReason reason) {
    }
}
