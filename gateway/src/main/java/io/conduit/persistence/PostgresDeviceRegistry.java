package io.conduit.persistence;

import io.conduit.security.Device;
import io.conduit.security.DeviceRegistry;
import io.conduit.security.DeviceSpec;
import io.conduit.security.DeviceUpdate;
import io.conduit.security.DuplicateDeviceException;
import io.conduit.security.FileDevicesPlan;
import io.conduit.security.ScramCredentials;
import io.quarkus.hibernate.orm.panache.PanacheQuery;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.panache.common.Parameters;
import io.quarkus.panache.common.Sort;
import org.hibernate.exception.ConstraintViolationException;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.function.Supplier;

/** The device registry in the {@code device} table, through Panache; every call is one transaction. */
public class PostgresDeviceRegistry implements DeviceRegistry {

    private final DeviceRepository repository;

    public PostgresDeviceRegistry(DeviceRepository repository) {
        this.repository = repository;
    }

    private static <T> T tx(Supplier<T> work) {
        try {
            return QuarkusTransaction.requiringNew().call(work::get);
        } catch (RuntimeException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof ConstraintViolationException c && c.getConstraintName() != null) {
                    String name = c.getConstraintName().toLowerCase(Locale.ROOT);
                    if (name.contains("client_id")) {
                        throw new DuplicateDeviceException("client id already belongs to another device");
                    }
                    if (name.contains("username")) {
                        throw new DuplicateDeviceException("username already belongs to another device");
                    }
                }
            }
            throw e;
        }
    }

    @Override
    public Page list(Query q) {
        return tx(() -> {
            StringJoiner where = new StringJoiner(" and ");
            Parameters params = new Parameters();
            if (q.username() != null) {
                where.add("username = :username");
                params.and("username", q.username());
            }
            if (q.clientId() != null) {
                where.add("clientId = :clientId");
                params.and("clientId", q.clientId());
            }
            if (q.group() != null) {
                where.add("array_contains(groups, :group)");
                params.and("group", q.group());
            }
            PanacheQuery<DeviceEntity> query = where.length() == 0 ? repository.findAll(Sort.by("id"))
                    : repository.find(where.toString(), Sort.by("id"), params);
            long total = query.count();
            List<Device> items = query.range(q.offset(), q.offset() + q.limit() - 1).list().stream()
                    .map(PostgresDeviceRegistry::toDevice).toList();
            return new Page(items, total);
        });
    }

    @Override
    public Optional<Device> get(long id) {
        return tx(() -> repository.findByIdOptional(id).map(PostgresDeviceRegistry::toDevice));
    }

    @Override
    public Optional<Device> byUsername(String username) {
        return tx(() -> repository.byUsername(username).map(PostgresDeviceRegistry::toDevice));
    }

    @Override
    public Optional<Device> byClientId(String clientId) {
        return tx(() -> repository.byClientId(clientId).map(PostgresDeviceRegistry::toDevice));
    }

    @Override
    public Device create(DeviceSpec spec) {
        return tx(() -> {
            checkUnique(spec);
            DeviceEntity e = new DeviceEntity();
            e.clientId = spec.clientId();
            e.username = spec.username();
            e.createdAt = Instant.now();
            e.source = spec.source().id();
            apply(e, spec);
            repository.persistAndFlush(e);
            return toDevice(e);
        });
    }

    private void checkUnique(DeviceSpec spec) {
        if (spec.clientId() != null) {
            repository.byClientId(spec.clientId()).ifPresent(d -> {
                throw new DuplicateDeviceException("client id '" + spec.clientId() + "' belongs to device " + d.id);
            });
        }
        if (spec.username() != null) {
            repository.byUsername(spec.username()).ifPresent(d -> {
                throw new DuplicateDeviceException("username '" + spec.username() + "' belongs to device " + d.id);
            });
        }
    }

    private static void apply(DeviceEntity e, DeviceSpec s) {
        e.passwordHash = s.passwordHash();
        setScram(e, s.scram());
        e.enabled = s.enabled();
        e.groups = s.groups().toArray(String[]::new);
        e.metadata = new LinkedHashMap<>(s.metadata() == null ? Map.of() : s.metadata());
    }

    private static void setScram(DeviceEntity e, ScramCredentials scram) {
        e.scramSalt = scram == null ? null : scram.salt();
        e.scramIterations = scram == null ? null : scram.iterations();
        e.scramStoredKey = scram == null ? null : scram.storedKey();
        e.scramServerKey = scram == null ? null : scram.serverKey();
    }

    @Override
    public Device update(long id, DeviceUpdate u) {
        return tx(() -> {
            DeviceEntity e = repository.findByIdOptional(id)
                    .orElseThrow(() -> new NoSuchElementException("no device " + id));
            if (u.enabled() != null) {
                e.enabled = u.enabled();
            }
            if (u.groups() != null) {
                e.groups = u.groups().toArray(String[]::new);
            }
            if (u.metadata() != null) {
                e.metadata = new LinkedHashMap<>(u.metadata());
            }
            if (u.passwordHash() != null) {
                e.passwordHash = u.passwordHash();
                setScram(e, u.scram());
            }
            repository.flush();
            return toDevice(e);
        });
    }

    @Override
    public boolean delete(long id) {
        return tx(() -> repository.deleteById(id));
    }

    @Override
    public void markSeen(Map<Long, Instant> seen) {
        if (seen.isEmpty()) {
            return;
        }
        tx(() -> {
            seen.forEach((id, at) -> repository.update("lastSeenAt = ?1 where id = ?2", at, id));
            return null;
        });
    }

    @Override
    public List<Long> replaceFileDevices(List<DeviceSpec> specs) {
        return tx(() -> {
            for (DeviceSpec s : specs) {
                Optional<DeviceEntity> clash = Optional.<DeviceEntity>empty()
                        .or(() -> s.clientId() == null ? Optional.empty() : repository.byClientId(s.clientId()))
                        .filter(e -> !Device.Source.FILE.id().equals(e.source))
                        .or(() -> (s.username() == null ? Optional.<DeviceEntity>empty()
                                : repository.byUsername(s.username()))
                                .filter(e -> !Device.Source.FILE.id().equals(e.source)));
                if (clash.isPresent()) {
                    throw new DuplicateDeviceException("file device " + s.fileKey()
                            + " clashes with device " + clash.get().id + " created through the API");
                }
            }
            FileDevicesPlan<DeviceEntity> plan = FileDevicesPlan.of(specs,
                    repository.list("source", Device.Source.FILE.id()), PostgresDeviceRegistry::toDevice);
            List<Long> changed = new ArrayList<>();
            for (DeviceEntity gone : plan.removed()) {
                repository.delete(gone);
                changed.add(gone.id);
            }
            repository.flush();
            plan.changed().forEach((e, s) -> {
                e.clientId = s.clientId();
                e.username = s.username();
                apply(e, s);
                changed.add(e.id);
            });
            repository.flush();
            for (DeviceSpec s : plan.added()) {
                DeviceEntity e = new DeviceEntity();
                e.clientId = s.clientId();
                e.username = s.username();
                e.createdAt = Instant.now();
                e.source = Device.Source.FILE.id();
                apply(e, s);
                repository.persist(e);
            }
            repository.flush();
            return changed;
        });
    }

    static Device toDevice(DeviceEntity e) {
        ScramCredentials scram = e.scramSalt == null ? null
                : new ScramCredentials(e.scramSalt, e.scramIterations, e.scramStoredKey, e.scramServerKey);
        return new Device(e.id, e.clientId, e.username, e.passwordHash, scram, e.enabled,
                e.groups == null ? List.of() : Arrays.asList(e.groups), e.metadata, e.createdAt, e.lastSeenAt,
                Device.Source.valueOf(e.source.toUpperCase(Locale.ROOT)));
    }
}
