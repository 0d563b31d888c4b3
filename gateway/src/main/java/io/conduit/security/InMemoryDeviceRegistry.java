package io.conduit.security;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The device registry of a broker without a database: lost on restart, like the rest of its state. */
public class InMemoryDeviceRegistry implements DeviceRegistry {

    private final Map<Long, Device> byId = new ConcurrentHashMap<>();
    private long nextId = 1;

    @Override
    public Page list(Query q) {
        List<Device> all = byId.values().stream()
                .filter(d -> q.username() == null || q.username().equals(d.username()))
                .filter(d -> q.clientId() == null || q.clientId().equals(d.clientId()))
                .filter(d -> q.group() == null || d.groups().contains(q.group()))
                .sorted(Comparator.comparingLong(Device::id)).toList();
        int from = Math.min(q.offset(), all.size());
        int to = Math.min(all.size(), from + q.limit());
        return new Page(all.subList(from, to), all.size());
    }

    @Override
    public Optional<Device> get(long id) {
        return Optional.ofNullable(byId.get(id));
    }

    @Override
    public Optional<Device> byUsername(String username) {
        return byId.values().stream().filter(d -> username.equals(d.username())).findFirst();
    }

    @Override
    public Optional<Device> byClientId(String clientId) {
        return byId.values().stream().filter(d -> clientId.equals(d.clientId())).findFirst();
    }

    @Override
    public synchronized Device create(DeviceSpec spec) {
        checkUnique(spec, null);
        Device d = new Device(nextId++, spec.clientId(), spec.username(), spec.passwordHash(), spec.scram(),
                spec.enabled(), spec.groups(), spec.metadata(), Instant.now(), null, spec.source());
        byId.put(d.id(), d);
        return d;
    }

    private void checkUnique(DeviceSpec spec, Long except) {
        for (Device d : byId.values()) {
            if (except != null && d.id() == except) {
                continue;
            }
            if (spec.clientId() != null && spec.clientId().equals(d.clientId())) {
                throw new DuplicateDeviceException("client id '" + spec.clientId() + "' belongs to device " + d.id());
            }
            if (spec.username() != null && spec.username().equals(d.username())) {
                throw new DuplicateDeviceException("username '" + spec.username() + "' belongs to device " + d.id());
            }
        }
    }

    @Override
    public synchronized Device update(long id, DeviceUpdate u) {
        Device d = byId.get(id);
        if (d == null) {
            throw new NoSuchElementException("no device " + id);
        }
        Device changed = new Device(id, d.clientId(), d.username(),
                u.passwordHash() != null ? u.passwordHash() : d.passwordHash(),
                u.passwordHash() != null ? u.scram() : d.scram(),
                u.enabled() != null ? u.enabled() : d.enabled(),
                u.groups() != null ? u.groups() : d.groups(),
                u.metadata() != null ? u.metadata() : d.metadata(), d.createdAt(), d.lastSeenAt(), d.source());
        byId.put(id, changed);
        return changed;
    }

    @Override
    public synchronized boolean delete(long id) {
        return byId.remove(id) != null;
    }

    @Override
    public synchronized void markSeen(Map<Long, Instant> seen) {
        seen.forEach((id, at) -> byId.computeIfPresent(id, (k, d) -> new Device(d.id(), d.clientId(), d.username(),
                d.passwordHash(), d.scram(), d.enabled(), d.groups(), d.metadata(), d.createdAt(), at, d.source())));
    }

    @Override
    public synchronized List<Long> replaceFileDevices(List<DeviceSpec> specs) {
        // Check everything first, so that a clash leaves the registry as it was.
        for (DeviceSpec s : specs) {
            for (Device d : byId.values()) {
                if (d.source() != Device.Source.FILE && (s.clientId() != null && s.clientId().equals(d.clientId())
                        || s.username() != null && s.username().equals(d.username()))) {
                    throw new DuplicateDeviceException("file device " + s.fileKey()
                            + " clashes with device " + d.id() + " created through the API");
                }
            }
        }
        FileDevicesPlan<Device> plan = FileDevicesPlan.of(specs,
                byId.values().stream().filter(d -> d.source() == Device.Source.FILE).toList(), d -> d);
        List<Long> changed = new ArrayList<>();
        for (Device gone : plan.removed()) {
            byId.remove(gone.id());
            changed.add(gone.id());
        }
        plan.changed().forEach((old, s) -> {
            byId.put(old.id(), new Device(old.id(), s.clientId(), s.username(), s.passwordHash(), s.scram(),
                    s.enabled(), s.groups(), s.metadata(), old.createdAt(), old.lastSeenAt(), Device.Source.FILE));
            changed.add(old.id());
        });
        plan.added().forEach(this::create);
        return changed;
    }
}
