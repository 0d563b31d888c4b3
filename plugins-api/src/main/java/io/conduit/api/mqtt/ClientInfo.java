package io.conduit.api.mqtt;

import java.util.Optional;

/**
 * A connected client as plugins see it.
 *
 * @param clientId        the client id (possibly assigned by the broker)
 * @param username        the user name of CONNECT, if any
 * @param protocolVersion 3 (MQTT 3.1), 4 (3.1.1) or 5
 * @param remoteAddress   host:port of the peer
 */
public record ClientInfo(String clientId, Optional<String> username, int protocolVersion, String remoteAddress) {
}
