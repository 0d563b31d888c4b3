package io.conduit.api.hooks;

import io.conduit.api.mqtt.ClientInfo;

/** Told when clients connect and disconnect. Called off the network threads; order across clients is not kept. */
public interface ConnectionListener {

    /** After CONNACK 0. */
    default void onConnect(ClientInfo client, boolean sessionPresent) {
    }

    /** After the connection closed, normally or not. */
    default void onDisconnect(ClientInfo client, boolean graceful) {
    }
}
