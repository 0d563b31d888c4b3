package io.conduit.session;

import io.conduit.metrics.BrokerMetrics;
import io.conduit.routing.Message;
import io.conduit.routing.Subscriber;
import io.conduit.routing.Subscription;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;

/**
 * The MQTT session of one client id: its subscriptions, the outgoing QoS 1/2 messages in flight and queued, and
 * the incoming QoS 2 packet ids awaiting PUBREL. It outlives connections when the client asked for that.
 *
 * <p>State is guarded by the session's monitor: deliveries arrive from any event loop, acknowledgements from the
 * connection's loop. Packets are handed to the connection under the monitor, so their order on the wire is the
 * order the session decided on.
 */
public final class Session implements Subscriber {

    /** 0xFFFFFFFF: the session never expires (MQTT 5.0 section 3.1.2.11.2). */
    public static final long NEVER_EXPIRES = 0xFFFFFFFFL;

    private final String clientId;
    private final int maxQueued;
    private final BrokerMetrics metrics;
    private final Map<String, Subscription> subscriptions = new ConcurrentHashMap<>();
    private final ArrayDeque<Outgoing> queue = new ArrayDeque<>();
    private final LinkedHashMap<Integer, Outgoing> inflight = new LinkedHashMap<>();
    private final Set<Integer> inboundQos2 = new HashSet<>();
    private final long createdMillis = System.currentTimeMillis();

    private Outbound connection;
    /** False between claiming a connection and sending its CONNACK: nothing may be written before CONNACK. */
    private boolean ready;
    private volatile long expiryInterval;
    private int nextPacketId = 1;
    private ScheduledFuture<?> expiryTask;
    private ScheduledFuture<?> willTask;
    private Message pendingWill;

    Session(String clientId, long expiryInterval, int maxQueued, BrokerMetrics metrics) {
        this.clientId = clientId;
        this.expiryInterval = expiryInterval;
        this.maxQueued = maxQueued;
        this.metrics = metrics;
    }

    @Override
    public String clientId() {
        return clientId;
    }

    @Override
    public synchronized boolean isOnline() {
        return connection != null;
    }

    public long expiryInterval() {
        return expiryInterval;
    }

    public void expiryInterval(long seconds) {
        this.expiryInterval = seconds;
    }

    public long createdMillis() {
        return createdMillis;
    }

    public Map<String, Subscription> subscriptions() {
        return subscriptions;
    }

    public synchronized int queuedCount() {
        return queue.size();
    }

    public synchronized int inflightCount() {
        return inflight.size();
    }

    @Override
    public synchronized void deliver(Message message, int qos, boolean retain, int[] subscriptionIds) {
        if (qos == 0) {
            if (ready && connection.writable()) {
                connection.sendPublish(message, 0, retain, subscriptionIds, 0, false);
            } else {
                metrics.messagesDropped.increment();
            }
            return;
        }
        Outgoing out = new Outgoing(message, qos, retain, subscriptionIds);
        if (ready && queue.isEmpty() && inflight.size() < connection.sendQuota()) {
            send(out);
        } else if (queue.size() < maxQueued) {
            queue.add(out);
        } else {
            metrics.messagesDropped.increment();
        }
    }

    private void send(Outgoing out) {
        out.packetId = allocatePacketId();
        if (connection.sendPublish(out.message, out.qos, out.retain, out.subscriptionIds, out.packetId, false)) {
            inflight.put(out.packetId, out);
        } else {
            metrics.messagesDropped.increment();
        }
    }

    private int allocatePacketId() {
        // The window never approaches 65535 entries, so a free id is always a few steps away.
        while (true) {
            int id = nextPacketId;
            nextPacketId = id == 65535 ? 1 : id + 1;
            if (!inflight.containsKey(id)) {
                return id;
            }
        }
    }

    /** Fills the inflight window from the queue, dropping messages that expired while they waited. */
    private void drain() {
        if (!ready) {
            return;
        }
        long now = System.nanoTime();
        while (!queue.isEmpty() && inflight.size() < connection.sendQuota()) {
            Outgoing next = queue.poll();
            if (next.message.isExpired(now)) {
                metrics.messagesDropped.increment();
                continue;
            }
            send(next);
        }
    }

    /** Claims the session for a connection; nothing is written to it until {@link #resume()}. */
    synchronized Outbound claim(Outbound newConnection) {
        Outbound previous = connection;
        connection = newConnection;
        ready = false;
        cancel(expiryTask);
        expiryTask = null;
        // A connection made before the will delay passed cancels the will (MQTT 5.0 section 3.1.3.2.2).
        cancel(willTask);
        willTask = null;
        pendingWill = null;
        return previous;
    }

    /**
     * Called after CONNACK: resends what was in flight with DUP set, PUBREL for what was already received
     * (MQTT 5.0 section 4.4), then fills the window from the queue.
     */
    public synchronized void resume(Outbound current) {
        if (connection != current) {
            return;
        }
        ready = true;
        for (Outgoing out : inflight.values()) {
            if (out.released) {
                connection.sendPubrel(out.packetId);
            } else if (!connection.sendPublish(out.message, out.qos, out.retain, out.subscriptionIds, out.packetId,
                    true)) {
                out.dropped = true;
            }
        }
        inflight.values().removeIf(o -> o.dropped);
        drain();
    }

    /** Lets go of the connection without touching timers or the pending will; for a session about to end. */
    synchronized Outbound release() {
        Outbound previous = connection;
        connection = null;
        ready = false;
        return previous;
    }

    /** Detaches the connection if it is still the current one; returns whether it was. */
    synchronized boolean detach(Outbound closing) {
        if (connection != closing) {
            return false;
        }
        connection = null;
        ready = false;
        return true;
    }

    public synchronized void onPuback(int packetId) {
        Outgoing out = inflight.get(packetId);
        if (out != null && out.qos == 1) {
            inflight.remove(packetId);
            drain();
        }
    }

    /** Returns false when no QoS 2 message with that id is in flight (the caller answers 0x92). */
    public synchronized boolean onPubrec(int packetId, boolean failed) {
        Outgoing out = inflight.get(packetId);
        if (out == null || out.qos != 2) {
            return false;
        }
        if (failed) {
            // PUBREC with a reason code >= 0x80 ends the exchange (MQTT 5.0 section 4.3.3).
            inflight.remove(packetId);
            drain();
            return true;
        }
        out.released = true;
        connection.sendPubrel(packetId);
        return true;
    }

    public synchronized boolean onPubcomp(int packetId) {
        Outgoing out = inflight.get(packetId);
        if (out == null || !out.released) {
            return false;
        }
        inflight.remove(packetId);
        drain();
        return true;
    }

    /** Records an incoming QoS 2 packet id; false when it is a retransmission already routed. */
    public synchronized boolean receiveQos2(int packetId) {
        return inboundQos2.add(packetId);
    }

    /** Forgets an incoming QoS 2 packet id on PUBREL; false when it was not known. */
    public synchronized boolean releaseQos2(int packetId) {
        return inboundQos2.remove(packetId);
    }

    public synchronized int pendingQos2() {
        return inboundQos2.size();
    }

    synchronized void expiryTask(ScheduledFuture<?> task) {
        cancel(expiryTask);
        expiryTask = task;
    }

    synchronized void scheduleWill(Message will, ScheduledFuture<?> task) {
        cancel(willTask);
        pendingWill = will;
        willTask = task;
    }

    /** Takes the delayed will that has not been published yet, if any. */
    synchronized Message takePendingWill() {
        Message will = pendingWill;
        pendingWill = null;
        cancel(willTask);
        willTask = null;
        return will;
    }

    /** Ends the session: cancels timers and drops queued state. */
    synchronized List<Subscription> end() {
        cancel(expiryTask);
        expiryTask = null;
        queue.clear();
        inflight.clear();
        inboundQos2.clear();
        List<Subscription> subs = new ArrayList<>(subscriptions.values());
        subscriptions.clear();
        return subs;
    }

    public synchronized Collection<Outgoing> queuedSnapshot() {
        return List.copyOf(queue);
    }

    private static void cancel(ScheduledFuture<?> task) {
        if (task != null) {
            task.cancel(false);
        }
    }

    /** Drops queued messages that expired; called from housekeeping so that offline queues do not hold them. */
    public synchronized void purgeExpired(long nowNanos) {
        for (Iterator<Outgoing> it = queue.iterator(); it.hasNext(); ) {
            if (it.next().message.isExpired(nowNanos)) {
                it.remove();
                metrics.messagesDropped.increment();
            }
        }
    }

    /** One outgoing QoS 1/2 message, queued or in flight. */
    public static final class Outgoing {
        final Message message;
        final int qos;
        final boolean retain;
        final int[] subscriptionIds;
        int packetId;
        boolean released;
        boolean dropped;

        Outgoing(Message message, int qos, boolean retain, int[] subscriptionIds) {
            this.message = message;
            this.qos = qos;
            this.retain = retain;
            this.subscriptionIds = subscriptionIds;
        }

        public Message message() {
            return message;
        }
    }
}
