package io.conduit.security;

import java.net.SocketAddress;
import java.security.cert.X509Certificate;

/**
 * What a client presented in CONNECT, as the authentication chain sees it.
 *
 * @param username          the CONNECT username, or the one taken from the client certificate
 *                          ({@code conduit.security.certificate-identity})
 * @param protocolVersion   3 (3.1), 4 (3.1.1) or 5
 * @param clientCertificate the certificate the TLS handshake verified, or null
 * @param certificateIdentity whether {@code username} comes from {@code clientCertificate}
 */
public record ConnectRequest(
        String clientId,
        String username,
        byte[] password,
        int protocolVersion,
        SocketAddress remoteAddress,
        String authenticationMethod,
        byte[] authenticationData,
        X509Certificate clientCertificate,
        boolean certificateIdentity) {

    /** A request without a client certificate. */
    public ConnectRequest(String clientId, String username, byte[] password, int protocolVersion,
                          SocketAddress remoteAddress, String authenticationMethod, byte[] authenticationData) {
        this(clientId, username, password, protocolVersion, remoteAddress, authenticationMethod, authenticationData,
                null, false);
    }

    @Override
    public String toString() {
        // Never print the password.
        return "ConnectRequest[clientId=" + clientId + ", username=" + username + ", protocolVersion="
                + protocolVersion + ", remote=" + remoteAddress + "]";
    }
}
