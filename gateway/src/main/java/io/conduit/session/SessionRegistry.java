package io.conduit.session;

import io.conduit.config.ConduitConfig;
import io.conduit.metrics.BrokerMetrics;
import io.conduit.routing.Message;
import io.conduit.routing.Router;
import io.conduit.routing.Subscription;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * All sessions of this node, by client id. Decides session present, takeover, expiry and when a will is published.
 * Ownership of a client id lives here, so that a cluster can later put a distributed decision behind it.
 */
@ApplicationScoped
public class SessionRegistry {

    private final Map<String, Session> sessions = new ConcurrentHashMap<>();

    @Inject
    Router router;

    @Inject
    BrokerMetrics metrics;

    @Inject
    ConduitConfig config;

    /** The outcome of CONNECT for the session: which one, whether it existed, whom it was taken from. */
    public record Opened(Session session, boolean present) {
    }

    /**
     * Opens or resumes the session of a client id for a new connection. An existing connection of that id is told to
     * close (takeover); with clean start the old session ends and a new one begins.
     */
    public Opened open(String clientId, boolean cleanStart, long expiryInterval, Outbound connection) {
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
                target = new Session(id, expiryInterval, config.mqtt().limits().maxQueuedMessages(), metrics);
            } else {
                present[0] = true;
            }
            Outbound old = target.claim(connection);
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
            endSession(ended[0]);
        }
        return new Opened(session, present[0]);
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
        if (will != null) {
            // A session replaced by a clean start has ended too, and an ending session publishes its will at once.
            boolean sessionEnds = (current && expiry == 0) || sessions.get(session.clientId()) != session;
            if (willDelay == 0 || sessionEnds) {
                router.publish(will);
            } else if (current) {
                long delay = Math.min(willDelay, expiry);
                session.scheduleWill(will, connection.executor().schedule(() -> {
                    Message pending = session.takePendingWill();
                    if (pending != null) {
                        router.publish(pending);
                    }
                }, delay, TimeUnit.SECONDS));
            }
            // Taken over with a will delay: the new connection came before the delay passed, so no will.
        }
        if (!current) {
            return;
        }
        if (expiry == 0) {
            if (sessions.remove(session.clientId(), session)) {
                endSession(session);
            }
        } else if (expiry != Session.NEVER_EXPIRES) {
            session.expiryTask(connection.executor().schedule(() -> expire(session), expiry, TimeUnit.SECONDS));
        }
    }

    private void expire(Session session) {
        if (!session.isOnline() && sessions.remove(session.clientId(), session)) {
            endSession(session);
        }
    }

    private void endSession(Session session) {
        Message will = session.takePendingWill();
        if (will != null) {
            router.publish(will);
        }
        for (Subscription s : session.end()) {
            router.unsubscribe(session, s);
        }
    }

    /** Adds or replaces a subscription of the session; returns the one replaced, or null when new. */
    public Subscription subscribe(Session session, Subscription subscription) {
        session.subscriptions().put(subscription.key(), subscription);
        return router.subscribe(session, subscription);
    }

    public boolean unsubscribe(Session session, String key) {
        Subscription removed = session.subscriptions().remove(key);
        return removed != null && router.unsubscribe(session, removed);
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
}
