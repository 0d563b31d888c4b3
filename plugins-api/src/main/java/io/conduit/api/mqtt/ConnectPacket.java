package io.conduit.api.mqtt;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a client asked for in CONNECT, after authentication. Immutable; the {@code with...} methods make changed
 * copies for a {@link io.conduit.api.hooks.ConnectInterceptor}.
 *
 * @param client                the client (its id may have been assigned by the broker)
 * @param cleanStart            clean start (3.1.1: clean session)
 * @param sessionExpiryInterval seconds the session outlives the connection, after the broker's own limit;
 *                              0xFFFFFFFF never expires
 * @param keepAlive             the keep alive in seconds the connection uses, 0 for none
 * @param will                  the will message, if any
 * @param willDelayInterval     5.0 Will Delay Interval in seconds
 * @param userProperties        5.0 user properties of CONNECT, in order
 * @param authenticationMethod  5.0 enhanced authentication method, if any
 */
public record ConnectPacket(ClientInfo client, boolean cleanStart, long sessionExpiryInterval, int keepAlive,
                            Optional<PublishPacket> will, long willDelayInterval,
                            List<Map.Entry<String, String>> userProperties, Optional<String> authenticationMethod) {

    /**
     * Checks and copies the values.
     *
     * @param client see the record component
     * @param cleanStart see the record component
     * @param sessionExpiryInterval see the record component
     * @param keepAlive see the record component
     * @param will see the record component
     * @param willDelayInterval see the record component
     * @param userProperties see the record component
     * @param authenticationMethod see the record component
     */
    public ConnectPacket {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(will, "will");
        Objects.requireNonNull(authenticationMethod, "authenticationMethod");
        userProperties = List.copyOf(userProperties);
    }

    /**
     * A copy with another session expiry; the broker still caps it at its configured maximum.
     *
     * @param seconds the new Session Expiry Interval
     * @return the changed copy
     */
    public ConnectPacket withSessionExpiryInterval(long seconds) {
        return new ConnectPacket(client, cleanStart, seconds, keepAlive, will, willDelayInterval, userProperties,
                authenticationMethod);
    }

    /**
     * A copy with another will, or none.
     *
     * @param newWill the will message, or null for none
     * @return the changed copy
     */
    public ConnectPacket withWill(PublishPacket newWill) {
        return new ConnectPacket(client, cleanStart, sessionExpiryInterval, keepAlive, Optional.ofNullable(newWill),
                willDelayInterval, userProperties, authenticationMethod);
    }

    /**
     * A copy with other user properties; the broker keeps them with the connection, where
     * {@link io.conduit.api.services.Clients#connectData} shows them.
     *
     * @param properties name/value pairs in order; a name may repeat
     * @return the changed copy
     */
    public ConnectPacket withUserProperties(List<Map.Entry<String, String>> properties) {
        return new ConnectPacket(client, cleanStart, sessionExpiryInterval, keepAlive, will, willDelayInterval,
                properties, authenticationMethod);
    }
}
