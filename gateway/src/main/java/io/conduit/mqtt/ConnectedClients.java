package io.conduit.mqtt;

import io.conduit.api.mqtt.ClientInfo;
import io.conduit.security.AuthResult;
import io.conduit.security.DeviceChanged;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The connections whose CONNECT was accepted, by client id: for plugins and the admin API, not the data path. */
@ApplicationScoped
public class ConnectedClients {

    private final Map<String, MqttConnection> byClientId = new ConcurrentHashMap<>();

    void add(MqttConnection connection) {
        byClientId.put(connection.clientId(), connection);
    }

    void remove(MqttConnection connection) {
        byClientId.remove(connection.clientId(), connection);
    }

    public Collection<ClientInfo> all() {
        return byClientId.values().stream().map(MqttConnection::info).toList();
    }

    public Optional<ClientInfo> get(String clientId) {
        return Optional.ofNullable(byClientId.get(clientId)).map(MqttConnection::info);
    }

    /** Closes a client's connection, with a DISCONNECT reason code for 5.0 clients; false when not connected. */
    public boolean disconnect(String clientId, int reasonCode, String reason) {
        MqttConnection c = byClientId.get(clientId);
        if (c == null) {
            return false;
        }
        c.disconnectBy(reasonCode, reason);
        return true;
    }

    /** A device disabled or removed loses its connections (5.0: DISCONNECT 0x87); one regrouped gets its new groups. */
    void onDeviceChanged(@Observes DeviceChanged change) {
        for (MqttConnection c : byClientId.values()) {
            if (!Long.valueOf(change.id()).equals(c.deviceId())) {
                continue;
            }
            if (change.revoked()) {
                c.disconnectBy(AuthResult.NOT_AUTHORIZED, change.now() == null ? "device removed" : "device disabled");
            } else {
                c.regroup(java.util.Set.copyOf(change.now().groups()));
            }
        }
    }

    public int size() {
        return byClientId.size();
    }
}
