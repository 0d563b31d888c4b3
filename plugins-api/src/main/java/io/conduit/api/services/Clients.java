package io.conduit.api.services;

import io.conduit.api.mqtt.ClientInfo;
import io.conduit.api.mqtt.ConnectPacket;

import java.util.List;
import java.util.Optional;

/** The clients connected now. */
public interface Clients {

    /**
     * Every connected client.
     *
     * @return an immutable snapshot
     */
    List<ClientInfo> connected();

    /**
     * One connected client.
     *
     * @param clientId the client id
     * @return the client, or empty when it is not connected
     */
    Optional<ClientInfo> get(String clientId);

    /**
     * What a connected client's CONNECT said, as the {@link io.conduit.api.hooks.ConnectInterceptor}s left it.
     *
     * @param clientId the client id
     * @return the connect data, or empty when the client is not connected
     */
    Optional<ConnectPacket> connectData(String clientId);

    /**
     * Closes a client's connection; 5.0 clients get DISCONNECT with the reason code first.
     *
     * @param clientId   the client id
     * @param reasonCode a DISCONNECT reason code (0x98 administrative action is usual)
     * @param reason     a reason string for 5.0 clients, or null
     * @return false when the client is not connected
     */
    boolean disconnect(String clientId, int reasonCode, String reason);
}
