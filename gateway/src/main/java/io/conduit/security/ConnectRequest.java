package io.conduit.security;

import java.net.SocketAddress;

/**
 * What a client presented in CONNECT, as the authentication chain sees it.
 *
 * @param protocolVersion 3 (3.1), 4 (3.1.1) or 5
 */
public record ConnectRequest(
        String clientId,
        String username,
        byte[] password,
        int protocolVersion,
        SocketAddress remoteAddress,
        String authenticationMethod,
        byte[] authenticationData) {

    @Override
    public String toString() {
        // Never print the password.
        return "ConnectRequest[clientId=" + clientId + ", username=" + username + ", protocolVersion="
                + protocolVersion + ", remote=" + remoteAddress + "]";
    }
}
