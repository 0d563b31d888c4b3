package io.conduit.security;

import io.conduit.config.ConduitConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.interceptor.Interceptor;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The device registry as the rest of the broker uses it: checks and hashes what the admin API and the ACL file
 * give, announces every change ({@link DeviceChanged}), and writes last-seen times in batches off the network
 * threads. Blocking: call it from worker threads.
 */
@ApplicationScoped
public class Devices {

    private static final Logger LOG = Logger.getLogger(Devices.class);
    private static final Pattern GROUP = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final int MAX_ID_LENGTH = 65535;

    /** What the admin API asks for; the password in clear, hashed here and then dropped. */
    public record NewDevice(String clientId, String username, String password, Boolean enabled, List<String> groups,
                            Map<String, Object> metadata) {
        @Override
        public String toString() {
            return "NewDevice[clientId=" + clientId + ", username=" + username + "]";
        }
    }

    /** Changes from the admin API; null fields stay. */
    public record Changes(Boolean enabled, List<String> groups, Map<String, Object> metadata, String password) {
        @Override
        public String toString() {
            return "Changes[enabled=" + enabled + ", groups=" + groups + ", password " + (password == null
                    ? "unchanged" : "changed") + "]";
        }
    }

    /** Thrown for changes the API may not make to a device defined in the ACL file. */
    public static class ReadOnlyDeviceException extends RuntimeException {
        public ReadOnlyDeviceException(String message) {
            super(message);
        }
    }

    @Inject
    DeviceRegistry registry;

    @Inject
    PasswordHashing hashing;

    @Inject
    Event<DeviceChanged> changes;

    @Inject
    ConduitConfig config;

    private final Map<Long, Instant> seen = new ConcurrentHashMap<>();
    /**
     * Every registered username and client id, in memory: a CONNECT naming none of them is no device's business, so
     * it needs no lookup (and still works while the database is unreachable).
     */
    private final Set<String> usernames = ConcurrentHashMap.newKeySet();
    private final Set<String> clientIds = ConcurrentHashMap.newKeySet();
    private volatile boolean directoryLoaded;
    private ScheduledExecutorService flusher;

    @PostConstruct
    void init() {
        long interval = Math.max(100, config.security().devices().lastSeenInterval().toMillis());
        flusher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "conduit-device-last-seen");
            t.setDaemon(true);
            return t;
        });
        flusher.scheduleWithFixedDelay(this::flushSeen, interval, interval, TimeUnit.MILLISECONDS);
    }

    /** After the ACL file's devices are in: loads the directory; says why every client will be refused, if it will. */
    void warnIfNobodyCanConnect(@Observes @Priority(Interceptor.Priority.APPLICATION + 1000) StartupEvent event) {
        loadDirectory();
        if (!config.security().allowAnonymous()
                && registry.list(new DeviceRegistry.Query(null, null, null, 0, 1)).total() == 0) {
            LOG.warn("no devices are registered and anonymous access is off: every CONNECT is refused until a device"
                    + " is created (POST /api/v1/devices, or devices: in the ACL file), a plugin accepts clients, or"
                    + " CONDUIT_SECURITY_ALLOW_ANONYMOUS=true is set (development)");
        }
    }

    void onShutdown(@Observes ShutdownEvent event) {
        flusher.shutdownNow();
        flushSeen();
    }

    public DeviceRegistry.Page list(DeviceRegistry.Query query) {
        return registry.list(query);
    }

    public Optional<Device> get(long id) {
        return registry.get(id);
    }

    /**
     * The device a CONNECT claims to be: the one with its username; else the one with its client id. Null when
     * neither is registered.
     */
    /** Whether a device may have this username or client id; false means surely not, answered from memory. */
    public boolean mayBeRegistered(String username, String clientId) {
        return !directoryLoaded || username != null && usernames.contains(username)
                || clientId != null && clientIds.contains(clientId);
    }

    /** Names of devices removed since stay in the directory: they only cost a lookup. */
    private synchronized void loadDirectory() {
        int page = 1000;
        for (int offset = 0; ; offset += page) {
            DeviceRegistry.Page p = registry.list(new DeviceRegistry.Query(null, null, null, offset, page));
            p.items().forEach(this::addToDirectory);
            if (p.items().size() < page) {
                break;
            }
        }
        directoryLoaded = true;
    }

    private void addToDirectory(Device d) {
        if (d.username() != null) {
            usernames.add(d.username());
        }
        if (d.clientId() != null) {
            clientIds.add(d.clientId());
        }
    }

    public Device forLogin(String username, String clientId) {
        if (username != null) {
            Optional<Device> d = registry.byUsername(username);
            if (d.isPresent()) {
                return d.get();
            }
        }
        return clientId == null ? null : registry.byClientId(clientId).orElse(null);
    }

    public Device create(NewDevice req) {
        String clientId = identifier(req.clientId(), "clientId");
        String username = identifier(req.username(), "username");
        if (clientId == null && username == null) {
            throw new IllegalArgumentException("a device needs a clientId, a username or both");
        }
        List<String> groups = groups(req.groups());
        Hashed pw = hashed(req.password());
        Device d = registry.create(new DeviceSpec(clientId, username, pw.hash(), pw.scram(),
                req.enabled() == null || req.enabled(), groups, req.metadata(), Device.Source.API));
        addToDirectory(d);
        LOG.infof("device %d created (client id %s, username %s)", d.id(), clientId, username);
        return d;
    }

    public Device update(long id, Changes c) {
        Device before = registry.get(id).orElseThrow(() -> new NoSuchElementException("no device " + id));
        if (before.source() == Device.Source.FILE) {
            throw new ReadOnlyDeviceException("device " + id + " is defined in the ACL file; change it there");
        }
        Hashed pw = hashed(c.password());
        Device d = registry.update(id, new DeviceUpdate(c.enabled(),
                c.groups() == null ? null : groups(c.groups()), c.metadata(), pw.hash(), pw.scram()));
        LOG.infof("device %d updated: %s", id, c);
        changes.fire(new DeviceChanged(id, d));
        return d;
    }

    public void delete(long id) {
        Device before = registry.get(id).orElseThrow(() -> new NoSuchElementException("no device " + id));
        if (before.source() == Device.Source.FILE) {
            throw new ReadOnlyDeviceException("device " + id + " is defined in the ACL file; remove it there");
        }
        if (!registry.delete(id)) {
            throw new NoSuchElementException("no device " + id);
        }
        if (before.username() != null) {
            usernames.remove(before.username());
        }
        if (before.clientId() != null) {
            clientIds.remove(before.clientId());
        }
        LOG.infof("device %d deleted", id);
        changes.fire(new DeviceChanged(id, null));
    }

    private record Hashed(String hash, ScramCredentials scram) {
    }

    /** The stored forms of a new password (both null when there is none). */
    private Hashed hashed(String password) {
        if (password == null) {
            return new Hashed(null, null);
        }
        PasswordHashing.checkPassword(password);
        return new Hashed(hashing.hash(password), hashing.scram(password));
    }

    /** Makes the file devices those of the ACL file just loaded. */
    public void replaceFileDevices(List<DeviceSpec> specs) {
        List<Long> changed = registry.replaceFileDevices(specs);
        specs.forEach(s -> {
            if (s.username() != null) {
                usernames.add(s.username());
            }
            if (s.clientId() != null) {
                clientIds.add(s.clientId());
            }
        });
        for (long id : changed) {
            changes.fire(new DeviceChanged(id, registry.get(id).orElse(null)));
        }
    }

    /** Notes that a device connected; written with the next batch. Cheap: callable on the event loop. */
    public void seen(long id) {
        seen.put(id, Instant.now());
    }

    void flushSeen() {
        if (seen.isEmpty()) {
            return;
        }
        Map<Long, Instant> batch = new HashMap<>();
        for (Long id : seen.keySet()) {
            Instant at = seen.remove(id);
            if (at != null) {
                batch.put(id, at);
            }
        }
        try {
            registry.markSeen(batch);
        } catch (RuntimeException e) {
            LOG.warnf("last-seen times of %d devices not written: %s", batch.size(), e.toString());
            batch.forEach(seen::putIfAbsent);
        }
    }

    static String identifier(String value, String field) {
        if (value == null) {
            return null;
        }
        if (value.isEmpty()) {
            throw new IllegalArgumentException(field + " must not be empty (leave it out instead)");
        }
        if (value.length() > MAX_ID_LENGTH || value.indexOf('\u0000') >= 0) {
            throw new IllegalArgumentException(field + " must be at most " + MAX_ID_LENGTH
                    + " characters without NUL");
        }
        return value;
    }

    static List<String> groups(List<String> groups) {
        if (groups == null) {
            return List.of();
        }
        for (String g : groups) {
            if (g == null || !GROUP.matcher(g).matches()) {
                throw new IllegalArgumentException("group names are 1 to 128 of A-Z a-z 0-9 . _ : -, not '" + g + "'");
            }
        }
        return List.copyOf(new java.util.LinkedHashSet<>(groups));
    }
}
