package io.conduit.api.hooks;

import io.conduit.api.mqtt.ClientInfo;

/**
 * Told when clients connect and disconnect; this is the disconnect hook. Called off the network threads, after the
 * fact; order across clients is not kept.
 */
public interface ConnectionListener {

    /**
     * A client connected: CONNACK 0 is on its way.
     *
     * @param client         the client
     * @param sessionPresent whether it took up an existing session
     */
    default void onConnect(ClientInfo client, boolean sessionPresent) {
    }

    /**
     * A connection closed, normally or not.
     *
     * @param client   the client
     * @param graceful true after the client's DISCONNECT, false for a network error, a keep alive timeout, a
     *                 takeover or a server-side close
     */
    default void onDisconnect(ClientInfo client, boolean graceful) {
    }
}
