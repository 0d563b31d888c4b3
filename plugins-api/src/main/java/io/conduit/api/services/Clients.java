package io.conduit.api.services;

import io.conduit.api.mqtt.ClientInfo;

import java.util.List;
import java.util.Optional;

/** The clients connected now. */
public interface Clients {

    List<ClientInfo> connected();

    Optional<ClientInfo> get(String clientId);

    /** Closes the client's connection (5.0 clients get DISCONNECT with the reason code); false when not connected. */
    boolean disconnect(String clientId, int reasonCode, String reason);
}
