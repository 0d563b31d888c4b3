package io.conduit.security;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where devices are kept: PostgreSQL when the broker has a database, memory otherwise (chosen by
 * {@code persistence/StoreProducers}). Every method may block: call it off the event loop.
 */
public interface DeviceRegistry {

    /** Which devices to list: every non-null filter must match (group: the device is in it); a page of them. */
    record Query(String username, String clientId, String group, int offset, int limit) {
    }

    record Page(List<Device> items, long total) {
    }

    Page list(Query query);

    Optional<Device> get(long id);

    Optional<Device> byUsername(String username);

    Optional<Device> byClientId(String clientId);

    /** @throws DuplicateDeviceException when the client id or username is taken */
    Device create(DeviceSpec spec);

    /** @throws java.util.NoSuchElementException when there is no such device */
    Device update(long id, DeviceUpdate update);

    boolean delete(long id);

    /** Records when devices were last seen, all in one go. */
    void markSeen(Map<Long, Instant> seen);

    /**
     * Makes the devices of source {@code file} exactly {@code specs} (matched by username, else client id): adds,
     * changes and removes as needed, keeping ids and last-seen times of devices that stay. All or nothing.
     *
     * @return the ids of the file devices that were changed or removed
     * @throws DuplicateDeviceException when a file device clashes with a device created through the API
     */
    List<Long> replaceFileDevices(List<DeviceSpec> specs);
}
