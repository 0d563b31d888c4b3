package io.conduit.security;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.conduit.config.ConduitConfig;
import io.conduit.security.AclRules.Action;
import io.conduit.security.AclRules.Decision;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Topic ACLs from {@code conduit.security.acl-file}, followed by the rules made through the admin API
 * ({@link AclRuleStore}): answers from memory (rules plus a bounded decision cache), and
 * reloads the file in the background when its modification time or size changes. A reload that fails keeps the
 * rules in force and reports the error ({@code GET /api/v1/acl}); a file that cannot be loaded at startup stops
 * the broker. A change of the API rules installs new rules and caches at once, as a reload does.
 */
@ApplicationScoped
@Typed(AclAuthorizer.class)
public class AclAuthorizer implements Authorizer {

    private static final Logger LOG = Logger.getLogger(AclAuthorizer.class);

    /** One cached permission check. */
    record Key(String clientId, String username, java.util.Set<String> groups, Action action, String topic, int qos) {
    }

    private record Stamp(long modified, long size) {
    }

    /**
     * Rules (the file's, then the API's) and the decisions taken under them, swapped as one on reload or API change
     * so a cache never outlives its rules. {@code api}: the API rules by id. {@code active}: whether they are
     * enforced (see {@link #active()}).
     */
    public record State(AclRules rules, Instant loadedAt, Cache<Key, Decision> cache,
                        Map<Long, AclRuleStore.Stored> api, boolean active) {
    }

    @Inject
    ConduitConfig config;

    @Inject
    Devices devices;

    @Inject
    AclRuleStore store;

    private Path file;
    private Optional<Boolean> configuredDefault;
    private volatile State state;
    /** The file's rules (or the empty rules of no file) as last loaded, without the API's. */
    private volatile AclRules fileRules;
    private volatile List<AclRuleStore.Stored> apiRules = List.of();
    private volatile Stamp stamp;
    private volatile String lastError;
    private ScheduledExecutorService watcher;

    @PostConstruct
    void init() {
        ConduitConfig.Security security = config.security();
        configuredDefault = security.aclDefault().map(String::trim).map(d -> switch (d) {
            case "allow" -> true;
            case "deny" -> false;
            default -> throw new IllegalStateException("conduit.security.acl-default must be allow or deny, not " + d);
        });
        file = security.aclFile().filter(f -> !f.isBlank()).map(Path::of).orElse(null);
        apiRules = store.list();
        if (file == null) {
            devices.replaceFileDevices(List.of());
            boolean allow = configuredDefault.orElse(true);
            install(AclRules.empty(allow, configuredDefault.isPresent() ? "config" : "built-in"));
            return;
        }
        try {
            load();
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot load ACL file " + file + ": " + e.getMessage(), e);
        }
        long interval = security.aclReloadInterval().toMillis();
        if (interval > 0) {
            watcher = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "conduit-acl-reload");
                t.setDaemon(true);
                return t;
            });
            watcher.scheduleWithFixedDelay(this::reloadIfChanged, interval, interval, TimeUnit.MILLISECONDS);
        }
    }

    /** Loads the file (and its devices) at startup rather than on the first check, which may be on an event loop. */
    void eager(@Observes StartupEvent event) {
        state();
    }

    @PreDestroy
    void stop() {
        if (watcher != null) {
            watcher.shutdownNow();
        }
    }

    /**
     * Whether the broker uses these rules: an ACL file is configured, the default is deny, or there are API rules.
     * Inactive, the authorizer answers as {@link AllowAllAuthorizer}.
     */
    public boolean active() {
        return state.active();
    }

    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    public State state() {
        return state;
    }

    /** Why the last reload failed, or null when the file in force is the file on disk. */
    public String lastError() {
        return lastError;
    }

    /** Reloads the file if its modification time or size changed; true when new rules are in force. */
    public synchronized boolean reloadIfChanged() {
        if (file == null) {
            return false;
        }
        try {
            Stamp now = stampOf(file);
            if (now.equals(stamp)) {
                return false;
            }
            load();
            LOG.infof("ACL file %s reloaded: %d rules, default %s", file, state.rules().rules().size(),
                    state.rules().defaultAllow() ? "allow" : "deny");
            return true;
        } catch (IOException | IllegalArgumentException e) {
            String message = e instanceof IOException ? "cannot read: " + e : e.getMessage();
            if (!message.equals(lastError)) {
                LOG.errorf("ACL file %s not reloaded, the previous rules stay in force: %s", file, message);
            }
            lastError = message;
            try {
                // Do not retry the same broken file every second; a new change is picked up again.
                stamp = stampOf(file);
            } catch (IOException ignored) {
                // Gone: retried until it is back.
            }
            return false;
        } catch (RuntimeException e) {
            LOG.error("ACL reload failed", e);
            return false;
        }
    }

    private void load() throws IOException {
        Stamp before = stampOf(file);
        String text = Files.readString(file, StandardCharsets.UTF_8);
        AclRules rules = AclRules.parse(text, configuredDefault);
        try {
            devices.replaceFileDevices(rules.devices());
        } catch (DuplicateDeviceException e) {
            throw new IllegalArgumentException("devices: " + e.getMessage());
        }
        install(rules);
        stamp = before;
        lastError = null;
    }

    private void install(AclRules fromFile) {
        fileRules = fromFile;
        List<AclRuleStore.Stored> api = apiRules;
        Map<Long, AclRuleStore.Stored> byId = new LinkedHashMap<>();
        for (AclRuleStore.Stored r : api) {
            byId.put(r.id(), r);
        }
        AclRules rules = fromFile.followedBy(api.stream().map(AclRuleStore.Stored::rule).toList());
        Cache<Key, Decision> cache = Caffeine.newBuilder().maximumSize(Math.max(0, config.security().aclCacheSize()))
                .build();
        boolean active = file != null || !rules.defaultAllow() || !api.isEmpty();
        state = new State(rules, Instant.now(), cache, Collections.unmodifiableMap(byId), active);
    }

    // ---- rules of the admin API: each change is in force for the next check on every connection ----------------

    /** @see AclRuleStore#create */
    public synchronized AclRuleStore.Stored createRule(AclRules.Rule rule, String description, Integer position) {
        int max = config.security().aclApiMaxRules();
        if (apiRules.size() >= max) {
            throw new RuleLimitException("there are already " + apiRules.size() + " ACL rules made through the API, "
                    + "the most conduit.security.acl-api-max-rules allows");
        }
        AclRuleStore.Stored created = store.create(rule, description, position);
        reinstall("created", created.id());
        return created;
    }

    /** @see AclRuleStore#update */
    public synchronized AclRuleStore.Stored updateRule(long id, AclRules.Rule rule, String description,
                                                       Integer position) {
        AclRuleStore.Stored updated = store.update(id, rule, description, position);
        reinstall("changed", id);
        return updated;
    }

    /** @see AclRuleStore#delete */
    public synchronized boolean deleteRule(long id) {
        boolean deleted = store.delete(id);
        if (deleted) {
            reinstall("deleted", id);
        }
        return deleted;
    }

    /** A new API rule beyond {@code conduit.security.acl-api-max-rules}. */
    public static final class RuleLimitException extends RuntimeException {
        RuleLimitException(String message) {
            super(message);
        }
    }

    private void reinstall(String what, long id) {
        apiRules = store.list();
        install(fileRules);
        LOG.infof("ACL rule %d %s through the admin API: %d API rules after %d file rules", id, what,
                apiRules.size(), fileRules.rules().size());
    }

    private static Stamp stampOf(Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        return new Stamp(a.lastModifiedTime().to(TimeUnit.NANOSECONDS), a.size());
    }

    /** One permission, from the cache of the rules in force. */
    public Decision decide(ClientIdentity client, Action action, String topic, int qos) {
        State s = state;
        if (!s.active()) {
            return s.rules().decide(client, action, topic, qos);
        }
        return s.cache().get(new Key(client.clientId(), client.username(), client.groups(), action, topic, qos),
                k -> s.rules().decide(client, action, topic, qos));
    }

    @Override
    public boolean canPublish(ClientIdentity client, String topic, int qos, boolean retain) {
        return decide(client, Action.PUBLISH, topic, qos).allowed()
                && (!retain || decide(client, Action.RETAIN, topic, qos).allowed());
    }

    @Override
    public boolean canSubscribe(ClientIdentity client, String filter, int qos) {
        return decide(client, Action.SUBSCRIBE, filter, qos).allowed();
    }

    @Override
    public ClientPermissions permissions(ClientIdentity client) {
        return new Permissions(client);
    }

    /**
     * One client's read permissions, cached per topic in a map of its own: a delivery that hits the cache costs one
     * hash lookup and allocates nothing (the shared cache would need a key object per lookup). The answers belong
     * to the rules they were taken under and are dropped with them on reload.
     */
    private final class Permissions implements ClientPermissions {
        private final ClientIdentity client;
        private volatile Answers answers;

        Permissions(ClientIdentity client) {
            this.client = client;
            this.answers = new Answers(state);
        }

        @Override
        public boolean mayReceive(String topic) {
            State now = state;
            Answers a = answers;
            if (a.rules != now) {
                // Answers taken under the old rules may still be added to the old map, never to this one.
                a = new Answers(now);
                answers = a;
            }
            if (!now.active()) {
                return true;
            }
            Boolean known = a.byTopic.get(topic);
            if (known != null) {
                return known;
            }
            boolean allowed = now.rules().decideReceive(client, topic).allowed();
            if (a.byTopic.size() < RECEIVE_CACHE_PER_CLIENT) {
                a.byTopic.put(topic, allowed);
            }
            return allowed;
        }

        @Override
        public boolean mayPublish(String topic, int qos, boolean retain) {
            return canPublish(client, topic, qos, retain);
        }
    }

    /** Most topics whose read decision one client keeps; beyond, decisions are taken from the rules each time. */
    static final int RECEIVE_CACHE_PER_CLIENT = 1024;

    private record Answers(State rules, ConcurrentHashMap<String, Boolean> byTopic) {
        Answers(State rules) {
            this(rules, new ConcurrentHashMap<>());
        }
    }
}
