package io.conduit.session;

import io.conduit.metrics.BrokerMetrics;
import io.conduit.routing.Message;
import io.conduit.routing.Subscriber;
import io.conduit.routing.Subscription;
import io.conduit.security.ClientPermissions;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;

/**
 * The MQTT session of one client id: its subscriptions, the outgoing QoS 1/2 messages in flight and queued, and
 * the incoming QoS 2 packet ids awaiting PUBREL. It outlives connections when the client asked for that.
 *
 * <p>State is guarded by the session's monitor: deliveries arrive from any event loop, acknowledgements from the
 * connection's loop. Packets are handed to the connection under the monitor, so their order on the wire is the
 * order the session decided on.
 *
 * <p>A persistent session with a durable {@link SessionStore} writes every outgoing QoS 1/2 message before (or while)
 * it is sent and removes it on acknowledgement. Only {@code memoryWindow} queued messages stay on the heap; the
 * rest wait in the store and are paged back in order as the window empties.
 */
public final class Session implements Subscriber {

    /** 0xFFFFFFFF: the session never expires (MQTT 5.0 section 3.1.2.11.2). */
    public static final long NEVER_EXPIRES = 0xFFFFFFFFL;

    private final String clientId;
    private final int maxQueued;
    private final int memoryWindow;
    private final BrokerMetrics metrics;
    private final SessionStore store;
    private final Map<String, Subscription> subscriptions = new ConcurrentHashMap<>();
    private final ArrayDeque<Outgoing> queue = new ArrayDeque<>();
    private final LinkedHashMap<Integer, Outgoing> inflight = new LinkedHashMap<>();
    private final Set<Integer> inboundQos2 = new HashSet<>();
    private final long createdMillis = System.currentTimeMillis();

    private Outbound connection;
    /**
     * The read permissions of the client that last claimed the session; they stay while it is offline, so its queue
     * only takes what it may receive. Null for a session restored at startup until its client connects again: its
     * messages are then checked when they are sent.
     */
    private volatile ClientPermissions permissions;
    /** False between claiming a connection and sending its CONNACK: nothing may be written before CONNACK. */
    private boolean ready;
    private volatile long expiryInterval;
    private volatile boolean durable;
    private int protocolLevel;
    private int nextPacketId = 1;
    private long nextSeq = 1;
    /** Queued messages that are only in the store, all newer than every queued message on the heap. */
    private int inStore;
    private long highestSeqOnHeap;
    private boolean paging;
    /** In-flight messages of a resumed session not resent yet: the client's new Receive Maximum had no room. */
    private int awaitingResend;
    /** Set by {@link #end}: a delivery that matched before the subscriptions went must not store a row. */
    private boolean ended;
    private ScheduledFuture<?> expiryTask;
    private ScheduledFuture<?> willTask;
    private Message pendingWill;
    private ClientPermissions pendingWillPermissions;

    Session(String clientId, long expiryInterval, int maxQueued, int memoryWindow, BrokerMetrics metrics,
            SessionStore store) {
        this.clientId = clientId;
        this.maxQueued = maxQueued;
        this.memoryWindow = memoryWindow;
        this.metrics = metrics;
        this.store = store;
        expiryInterval(expiryInterval);
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
        // Once stored, a session stays stored until it ends, also when resumed with expiry 0: part of its queue may
        // be in the store only. Recovery discards a stored session whose expiry is 0.
        this.durable = store.durable() && (seconds > 0 || durable);
    }

    /** Whether this session's state is written to a durable store. */
    public boolean durable() {
        return durable;
    }

    public int protocolLevel() {
        return protocolLevel;
    }

    void protocolLevel(int level) {
        this.protocolLevel = level;
    }

    public long createdMillis() {
        return createdMillis;
    }

    public Map<String, Subscription> subscriptions() {
        return subscriptions;
    }

    public synchronized int queuedCount() {
        return queue.size() + inStore;
    }

    public synchronized int inflightCount() {
        return inflight.size();
    }

    /**
     * Asked when a message is routed, and again when it goes on the wire: by then the rules may have changed, or the
     * client of a restored session may have connected.
     */
    @Override
    public boolean mayReceive(String topic) {
        ClientPermissions p = permissions;
        return p == null || p.mayReceive(topic);
    }

    private boolean permitted(Message message) {
        return mayReceive(message.topic());
    }

    @Override
    public synchronized CompletionStage<Void> deliver(Message message, int qos, boolean retain, int[] subscriptionIds) {
        return deliver(message, qos, retain, subscriptionIds, false);
    }

    /**
     * Sends the retained messages a new subscription asked for. Unlike live traffic, QoS 0 ones are not dropped when
     * the socket is busy: the subscriber asked for exactly this burst, and its size is bounded by the retained store.
     */
    public synchronized void deliverRetained(Message message, int qos, int[] subscriptionIds) {
        if (!permitted(message)) {
            return;
        }
        deliver(message, qos, true, subscriptionIds, true);
    }

    private CompletionStage<Void> deliver(Message message, int qos, boolean retain, int[] subscriptionIds,
                                          boolean evenIfBusy) {
        if (ended) {
            // Routed while the session was ending: its rows are being deleted, and a row written after that DELETE
            // would haunt the next session of this client id.
            return null;
        }
        if (qos == 0) {
            if (ready && (evenIfBusy || connection.writable())) {
                connection.sendPublish(message, 0, retain, subscriptionIds, 0, false);
            } else {
                metrics.messagesDropped.increment();
            }
            return null;
        }
        boolean sendNow = ready && queue.isEmpty() && inStore == 0 && !paging
                && inflight.size() < connection.sendQuota();
        if (!sendNow && queue.size() + inStore >= maxQueued) {
            metrics.messagesDropped.increment();
            return null;
        }
        Outgoing out = new Outgoing(nextSeq++, message, qos, retain, subscriptionIds);
        CompletionStage<Void> stored = durable ? store.enqueue(clientId, out.seq, message, qos, retain,
                subscriptionIds) : null;
        if (stored != null && stored.toCompletableFuture().isCompletedExceptionally()) {
            // The store refused it at once (its queue is full): the publisher hears 0x97 and may send it again, so
            // it must not go out from memory either.
            metrics.messagesDropped.increment();
            return stored;
        }
        // The subscriber may deliver a QoS 2 message as soon as it arrives and will drop a second copy only under the
        // same packet id: were it sent before it is stored, a crash would bring it back under another id.
        boolean hold = stored != null && qos == 2 && !stored.toCompletableFuture().isDone();
        if (sendNow && !hold) {
            highestSeqOnHeap = out.seq;
            send(out);
        } else if (inStore == 0 && !paging && queue.size() < (durable ? memoryWindow : maxQueued)) {
            highestSeqOnHeap = out.seq;
            queue.add(out);
            if (hold) {
                out.unstored = true;
                stored.whenCompleteAsync((ok, error) -> storedNow(out));
            }
        } else {
            // Older messages wait in the store: this one waits there too, to keep the order.
            inStore++;
        }
        return stored;
    }

    private void send(Outgoing out) {
        if (!permitted(out.message)) {
            // Routed before the rules changed or before the client's identity was known (restored session).
            forget(out);
            return;
        }
        out.packetId = allocatePacketId();
        if (connection.sendPublish(out.message, out.qos, out.retain, out.subscriptionIds, out.packetId, false)) {
            inflight.put(out.packetId, out);
            if (durable) {
                store.inflight(clientId, out.seq, out.packetId);
            }
        } else {
            metrics.messagesDropped.increment();
            forget(out);
        }
    }

    private void forget(Outgoing out) {
        if (durable) {
            store.remove(clientId, out.seq);
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
        int quota = connection.sendQuota();
        if (awaitingResend > 0) {
            resendWaiting(quota);
            if (awaitingResend > 0) {
                return;
            }
        }
        long now = System.nanoTime();
        // A message not stored yet holds back the ones behind it, which keeps their order.
        while (!queue.isEmpty() && inflight.size() < quota && !queue.peek().unstored) {
            Outgoing next = queue.poll();
            if (next.message.isExpired(now)) {
                metrics.messagesDropped.increment();
                forget(next);
                continue;
            }
            send(next);
        }
        if (inStore > 0 && !paging && queue.size() < memoryWindow / 2) {
            pageIn();
        }
    }

    private void resendWaiting(int quota) {
        int onWire = inflight.size() - awaitingResend;
        for (Iterator<Outgoing> it = inflight.values().iterator(); it.hasNext() && onWire < quota; ) {
            Outgoing out = it.next();
            if (!out.awaitingResend) {
                continue;
            }
            out.awaitingResend = false;
            awaitingResend--;
            if (permitted(out.message) && connection.sendPublish(out.message, out.qos, out.retain, out.subscriptionIds, out.packetId, true)) {
                onWire++;
            } else {
                it.remove();
                forget(out);
            }
        }
    }

    private synchronized void storedNow(Outgoing out) {
        out.unstored = false;
        drain();
    }

    /**
     * Reads the next queued messages back from the store; they come after everything on the heap. The page is taken
     * in on the connection's event loop, not on the store's thread: filling the window writes to the store again.
     */
    private void pageIn() {
        paging = true;
        store.loadQueued(clientId, highestSeqOnHeap, memoryWindow).whenCompleteAsync((page, error) -> {
            synchronized (this) {
                paging = false;
                if (error != null || page.isEmpty()) {
                    // Nothing more can be read: what the count promised is gone (e.g. the session was reset).
                    inStore = 0;
                } else {
                    for (SessionStore.StoredMessage m : page) {
                        queue.add(new Outgoing(m.seq(), m.message(), m.qos(), m.retain(), m.subscriptionIds()));
                        highestSeqOnHeap = m.seq();
                    }
                    inStore = Math.max(0, inStore - page.size());
                }
                drain();
            }
        }, connection.executor());
    }

    /** The client's permissions changed on its live connection (e.g. its device's groups). */
    public synchronized void permissionsChanged(Outbound from) {
        if (connection == from) {
            permissions = from.permissions();
        }
    }

    /** Claims the session for a connection; nothing is written to it until {@link #resume}. */
    synchronized Outbound claim(Outbound newConnection, int level) {
        Outbound previous = connection;
        connection = newConnection;
        permissions = newConnection.permissions();
        protocolLevel = level;
        ready = false;
        cancel(expiryTask);
        expiryTask = null;
        // A connection made before the will delay passed cancels the will (MQTT 5.0 section 3.1.3.2.2).
        if (pendingWill != null && durable) {
            store.willDone(clientId);
        }
        cancel(willTask);
        willTask = null;
        pendingWill = null;
        pendingWillPermissions = null;
        return previous;
    }

    /** Lets go of the connection without touching timers or the pending will; for a session about to end. */
    synchronized Outbound release() {
        Outbound previous = connection;
        connection = null;
        ready = false;
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
        int quota = connection.sendQuota();
        int onWire = 0;
        awaitingResend = 0;
        for (Iterator<Outgoing> it = inflight.values().iterator(); it.hasNext(); ) {
            Outgoing out = it.next();
            out.awaitingResend = false;
            if (out.released) {
                // A PUBREL still held for its store write goes out once the write completes.
                if (!out.pubrelHeld) {
                    connection.sendPubrel(out.packetId);
                }
                onWire++;
            } else if (!permitted(out.message)) {
                it.remove();
                forget(out);
            } else if (onWire >= quota) {
                // The client may have reconnected with a smaller Receive Maximum: the rest go out as acks free room.
                out.awaitingResend = true;
                awaitingResend++;
            } else if (connection.sendPublish(out.message, out.qos, out.retain, out.subscriptionIds, out.packetId,
                    true)) {
                onWire++;
            } else {
                it.remove();
                forget(out);
            }
        }
        drain();
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
            forget(out);
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
            forget(out);
            drain();
            return true;
        }
        out.released = true;
        if (!durable) {
            connection.sendPubrel(packetId);
            return true;
        }
        // PUBREL lets the client forget the message; were the gateway to crash before the release is stored, it
        // would send the message again and the client would take it for a new one.
        out.pubrelHeld = true;
        store.released(clientId, out.seq).whenCompleteAsync((ok, error) -> releaseStored(out),
                connection.executor());
        return true;
    }

    private synchronized void releaseStored(Outgoing out) {
        out.pubrelHeld = false;
        if (ready && inflight.get(out.packetId) == out) {
            connection.sendPubrel(out.packetId);
        }
    }

    public synchronized boolean onPubcomp(int packetId) {
        Outgoing out = inflight.get(packetId);
        if (out == null || !out.released) {
            return false;
        }
        inflight.remove(packetId);
        forget(out);
        drain();
        return true;
    }

    /**
     * Records an incoming QoS 2 packet id. Returns null for a retransmission already routed; otherwise the stage
     * after which the id is durable (PUBREC may then promise exactly once).
     */
    public synchronized CompletionStage<Void> receiveQos2(int packetId) {
        if (!inboundQos2.add(packetId)) {
            return null;
        }
        return durable ? store.receivedQos2(clientId, packetId) : SessionStore.DONE;
    }

    /**
     * Forgets an incoming QoS 2 packet id on PUBREL. Returns null when it was not known; otherwise the stage after
     * which it is forgotten durably, the earliest PUBCOMP may free the id for a new message.
     */
    public synchronized CompletionStage<Void> releaseQos2(int packetId) {
        if (!inboundQos2.remove(packetId)) {
            return null;
        }
        return durable ? store.releasedQos2(clientId, packetId) : SessionStore.DONE;
    }

    public synchronized int pendingQos2() {
        return inboundQos2.size();
    }

    synchronized void expiryTask(ScheduledFuture<?> task) {
        cancel(expiryTask);
        expiryTask = task;
    }

    /** @param willPermissions the permissions of the client that set the will; null when unknown (restored) */
    synchronized void scheduleWill(Message will, ClientPermissions willPermissions, ScheduledFuture<?> task) {
        cancel(willTask);
        pendingWill = will;
        pendingWillPermissions = willPermissions;
        willTask = task;
    }

    /** A will and the permissions of the client that set it (null when unknown). */
    record PendingWill(Message message, ClientPermissions permissions) {
    }

    /** Takes the delayed will that has not been published yet, if any. */
    synchronized PendingWill takePendingWill() {
        PendingWill will = pendingWill == null ? null : new PendingWill(pendingWill, pendingWillPermissions);
        pendingWill = null;
        pendingWillPermissions = null;
        cancel(willTask);
        willTask = null;
        return will;
    }

    /** Ends the session: cancels timers and drops queued state. */
    synchronized List<Subscription> end() {
        ended = true;
        cancel(expiryTask);
        expiryTask = null;
        queue.clear();
        inflight.clear();
        inboundQos2.clear();
        inStore = 0;
        awaitingResend = 0;
        List<Subscription> subs = new ArrayList<>(subscriptions.values());
        subscriptions.clear();
        return subs;
    }

    /**
     * Numbers this session's messages after those of the session it replaces: rows are keyed by client id and
     * sequence number, and the old session's may still be on their way out of the store.
     */
    synchronized void continueAfter(Session previous) {
        synchronized (previous) {
            nextSeq = Math.max(nextSeq, previous.nextSeq);
            // Pages are read after this point: the old session's rows below it may not be deleted yet.
            highestSeqOnHeap = nextSeq - 1;
        }
    }

    /** Puts back what a store kept, for a session recovered at startup. */
    synchronized void restore(SessionStore.StoredSession stored) {
        protocolLevel = stored.protocolLevel();
        nextSeq = stored.nextSeq();
        inboundQos2.addAll(stored.inboundQos2());
        for (SessionStore.StoredMessage m : stored.inflight()) {
            Outgoing out = new Outgoing(m.seq(), m.message(), m.qos(), m.retain(), m.subscriptionIds());
            out.packetId = m.packetId();
            out.released = m.released();
            inflight.put(out.packetId, out);
            nextPacketId = Math.max(nextPacketId, out.packetId % 65535 + 1);
            highestSeqOnHeap = Math.max(highestSeqOnHeap, m.seq());
        }
        for (SessionStore.StoredMessage m : stored.queued()) {
            queue.add(new Outgoing(m.seq(), m.message(), m.qos(), m.retain(), m.subscriptionIds()));
            highestSeqOnHeap = Math.max(highestSeqOnHeap, m.seq());
        }
        inStore = stored.queuedInStore();
    }

    private static void cancel(ScheduledFuture<?> task) {
        if (task != null) {
            task.cancel(false);
        }
    }

    /** One outgoing QoS 1/2 message, queued or in flight. */
    static final class Outgoing {
        final long seq;
        final Message message;
        final int qos;
        final boolean retain;
        final int[] subscriptionIds;
        int packetId;
        boolean released;
        /** Released, but PUBREL waits until the store has the release. */
        boolean pubrelHeld;
        /** A QoS 2 message that is sent only once the store has it. */
        boolean unstored;
        boolean awaitingResend;

        Outgoing(long seq, Message message, int qos, boolean retain, int[] subscriptionIds) {
            this.seq = seq;
            this.message = message;
            this.qos = qos;
            this.retain = retain;
            this.subscriptionIds = subscriptionIds;
        }
    }
}
