package io.conduit.session;

import io.conduit.config.ConduitConfig;
import io.conduit.metrics.BrokerMetrics;
import io.conduit.routing.Message;
import io.conduit.routing.Router;
import io.conduit.routing.Subscription;
import io.conduit.security.ClientPermissions;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * All sessions of this node, by client id. Decides session present, takeover, expiry and when a will is published,
 * and tells the {@link SessionStore} about every change of a persistent session. Ownership of a client id lives
 * here, so that a cluster can later put a distributed decision behind it.
 */
@ApplicationScoped
public class SessionRegistry {

    private static final Logger LOG = Logger.getLogger(SessionRegistry.class);

    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    // Expiry and will timers of all sessions; their work is short and never blocks.
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "conduit-session-timers");
        t.setDaemon(true);
        return t;
    });

    @Inject
    Router router;

    @Inject
    BrokerMetrics metrics;

    @Inject
    ConduitConfig config;

    @Inject
    SessionStore store;

    @Inject
    SessionEvents events;

    /**
     * The outcome of CONNECT for the session: which one, whether it existed, and the stage after which the store has
     * it (null for a session that is not stored).
     */
    public record Opened(Session session, boolean present, CompletionStage<Void> stored) {
    }

    /** Recovers persistent sessions before the listeners open (they observe StartupEvent later). */
    void restore(@Observes @Priority(5) StartupEvent event) {
        if (!store.durable()) {
            return;
        }
        long now = System.currentTimeMillis();
        int restored = 0;
        // Wills and timers wait until every subscription is back in the router: a will published earlier would
        // miss the subscribers of sessions restored after its own.
        List<Message> lateWills = new ArrayList<>();
        List<Runnable> startTimers = new ArrayList<>();
        for (SessionStore.StoredSession stored : store.loadAll()) {
            long elapsedMillis = Math.max(0, now - stored.disconnectedAtMillis());
            long expiry = stored.expiryInterval();
            if (expiry != Session.NEVER_EXPIRES && elapsedMillis >= expiry * 1000) {
                // Expired while the broker was down: its will is late, but a will is never to be lost.
                if (stored.delayedWill() != null) {
                    lateWills.add(stored.delayedWill());
                }
                store.delete(stored.clientId());
                continue;
            }
            Session session = newSession(stored.clientId(), expiry);
            session.restore(stored);
            for (Subscription s : stored.subscriptions()) {
                session.subscriptions().put(s.key(), s);
                router.subscribe(session, s);
            }
            sessions.put(stored.clientId(), session);
            if (stored.delayedWill() != null) {
                long delay = Math.max(0, stored.willDelay() * 1000 - elapsedMillis);
                // Who set it is not stored: it was checked at CONNECT and is published as it stands.
                startTimers.add(() -> scheduleWill(session, stored.delayedWill(), null, delay));
            }
            if (expiry != Session.NEVER_EXPIRES) {
                startTimers.add(() -> session.expiryTask(timers.schedule(() -> expire(session),
                        expiry * 1000 - elapsedMillis, TimeUnit.MILLISECONDS)));
            }
            restored++;
        }
        lateWills.forEach(router::publish);
        startTimers.forEach(Runnable::run);
        LOG.infof("restored %d persistent sessions", restored);
    }

    private Session newSession(String clientId, long expiryInterval) {
        ConduitConfig.Limits limits = config.mqtt().limits();
        return new Session(clientId, expiryInterval, limits.maxQueuedMessages(), config.persistence().memoryWindow(),
                metrics, store);
    }

    /**
     * Opens or resumes the session of a client id for a new connection. An existing connection of that id is told to
     * close (takeover); with clean start the old session ends and a new one begins.
     */
    public Opened open(String clientId, boolean cleanStart, long expiryInterval, int protocolLevel,
                       Outbound connection) {
        Session[] ended = new Session[1];
        boolean[] present = new boolean[1];
        Outbound[] previous = new Outbound[1];
        Session session = sessions.compute(clientId, (id, existing) -> {
            Session target = existing;
            if (existing != null && cleanStart) {
                previous[0] = existing.release();
                ended[0] = existing;
                target = null;
            }
            if (target == null) {
                target = newSession(id, expiryInterval);
                if (existing != null) {
                    target.continueAfter(existing);
                }
            } else {
                present[0] = true;
            }
            Outbound old = target.claim(connection, protocolLevel);
            if (old != null) {
                previous[0] = old;
            }
            target.expiryInterval(expiryInterval);
            return target;
        });
        if (previous[0] != null) {
            previous[0].takeOver();
        }
        if (ended[0] != null) {
            endSession(ended[0], true);
        }
        CompletionStage<Void> stored = null;
        if (session.durable()) {
            // Also when resumed with expiry 0: the row stays until the session ends, and recovery discards it.
            stored = store.open(clientId, expiryInterval, protocolLevel);
        }
        if (events.listening()) {
            if (present[0]) {
                events.resumed(clientId);
            } else {
                events.created(clientId, expiryInterval > 0);
            }
        }
        return new Opened(session, present[0], stored);
    }

    /**
     * A connection closed. Publishes or schedules its will, then expires the session now or later.
     *
     * @param will      the will still armed (null after a normal DISCONNECT or when none was set)
     * @param willDelay 5.0 Will Delay Interval in seconds
     */
    public void closed(Session session, Outbound connection, Message will, long willDelay) {
        boolean current = session.detach(connection);
        long expiry = session.expiryInterval();
        Message delayedWill = null;
        if (will != null) {
            // A session replaced by a clean start has ended too, and an ending session publishes its will at once.
            boolean sessionEnds = (current && expiry == 0) || sessions.get(session.clientId()) != session;
            if (willDelay == 0 || sessionEnds) {
                publishWill(will, connection.permissions());
            } else if (current) {
                delayedWill = will;
                scheduleWill(session, will, connection.permissions(), Math.min(willDelay, expiry) * 1000);
            }
            // Taken over with a will delay: the new connection came before the delay passed, so no will.
        }
        if (!current) {
            return;
        }
        if (expiry == 0) {
            if (sessions.remove(session.clientId(), session)) {
                endSession(session, false);
            }
            return;
        }
        if (session.durable()) {
            store.closed(session.clientId(), expiry, delayedWill, willDelay);
        }
        if (expiry != Session.NEVER_EXPIRES) {
            session.expiryTask(timers.schedule(() -> expire(session), expiry, TimeUnit.SECONDS));
        }
    }

    private void scheduleWill(Session session, Message will, ClientPermissions permissions, long delayMillis) {
        session.scheduleWill(will, permissions, timers.schedule(() -> {
            Session.PendingWill pending = session.takePendingWill();
            if (pending != null) {
                publishWill(pending.message(), pending.permissions());
                if (session.durable()) {
                    store.willDone(session.clientId());
                }
            }
        }, delayMillis, TimeUnit.MILLISECONDS));
    }

    /**
     * Publishes a will if its client may still publish it: the will was checked at CONNECT, but the ACL may have
     * been reloaded since. {@code permissions} is null for a will restored from the store, published as it stands.
     */
    private void publishWill(Message will, ClientPermissions permissions) {
        if (permissions != null && !permissions.mayPublish(will.topic(), will.qos(), will.retain())) {
            LOG.debugf("client %s: will on %s not published: no longer authorized", will.publisherId(),
                    will.topic());
            return;
        }
        router.publish(will);
    }

    private void expire(Session session) {
        if (!session.isOnline() && sessions.remove(session.clientId(), session)) {
            endSession(session, false);
        }
    }

    private void endSession(Session session, boolean cleanStart) {
        Session.PendingWill will = session.takePendingWill();
        if (will != null) {
            publishWill(will.message(), will.permissions());
        }
        for (Subscription s : session.end()) {
            router.unsubscribe(session, s);
        }
        if (store.durable()) {
            store.delete(session.clientId());
        }
        if (events.listening()) {
            events.ended(session.clientId(), cleanStart);
        }
    }

    /** A subscription added: the one it replaced (null when new), and the stage after which it is stored. */
    public record Subscribed(Subscription replaced, CompletionStage<Void> stored) {
    }

    /** Adds or replaces a subscription of the session. */
    public Subscribed subscribe(Session session, Subscription subscription) {
        session.subscriptions().put(subscription.key(), subscription);
        CompletionStage<Void> stored = session.durable() ? store.subscribe(session.clientId(), subscription)
                : SessionStore.DONE;
        return new Subscribed(router.subscribe(session, subscription), stored);
    }

    /** Removes a subscription; returns null when there was none, else the stage after which it is stored. */
    public CompletionStage<Void> unsubscribe(Session session, String key) {
        Subscription removed = session.subscriptions().remove(key);
        if (removed == null) {
            return null;
        }
        CompletionStage<Void> stored = session.durable() ? store.unsubscribe(session.clientId(), key)
                : SessionStore.DONE;
        return router.unsubscribe(session, removed) ? stored : null;
    }

    public Session get(String clientId) {
        return sessions.get(clientId);
    }

    public Collection<Session> all() {
        return Collections.unmodifiableCollection(sessions.values());
    }

    public int size() {
        return sessions.size();
    }

    @PreDestroy
    void stop() {
        timers.shutdownNow();
    }
}
