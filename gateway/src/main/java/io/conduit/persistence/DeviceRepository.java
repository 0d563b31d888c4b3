package io.conduit.persistence;

import io.quarkus.hibernate.orm.panache.PanacheRepository;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Optional;

/** Panache queries over {@link DeviceEntity}; callers bring the transaction. */
@ApplicationScoped
public class DeviceRepository implements PanacheRepository<DeviceEntity> {

    public Optional<DeviceEntity> byUsername(String username) {
        return find("username", username).firstResultOptional();
    }

    public Optional<DeviceEntity> byClientId(String clientId) {
        return find("clientId", clientId).firstResultOptional();
    }
}
