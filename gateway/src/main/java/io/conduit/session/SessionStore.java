package io.conduit.session;

import io.conduit.routing.Message;
import io.conduit.routing.Subscription;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Where persistent sessions are kept so that they survive a restart. The core calls it on every state change of a
 * persistent session; implementations must not block the caller (write behind) and complete the returned stages
 * once the change is durable. {@link #MEMORY} keeps nothing and answers at once.
 */
public interface SessionStore {

    CompletionStage<Void> DONE = CompletableFuture.completedFuture(null);

    /** Whether anything is kept at all; when false the session keeps all its state on the heap. */
    boolean durable();

    /** Creates or updates the session row: its expiry and protocol level; marks it connected. */
    CompletionStage<Void> open(String clientId, long expiryInterval, int protocolLevel);

    /** The connection closed; a delayed will (or null) is kept so that a restart still publishes it. */
    void closed(String clientId, long expiryInterval, Message delayedWill, long willDelay);

    /** The delayed will was published or cancelled. */
    void willDone(String clientId);

    void delete(String clientId);

    CompletionStage<Void> subscribe(String clientId, Subscription subscription);

    CompletionStage<Void> unsubscribe(String clientId, String key);

    /** Stores an outgoing QoS 1/2 message before it is sent or while it waits. */
    CompletionStage<Void> enqueue(String clientId, long seq, Message message, int qos, boolean retain,
                                  int[] subscriptionIds);

    void inflight(String clientId, long seq, int packetId);

    /** PUBREC came back for a QoS 2 message; PUBREL waits for the returned stage. */
    CompletionStage<Void> released(String clientId, long seq);

    /** Acknowledged (PUBACK / PUBCOMP) or dropped: the message leaves the store. */
    void remove(String clientId, long seq);

    CompletionStage<Void> receivedQos2(String clientId, int packetId);

    /** PUBREL came for an incoming QoS 2 packet id; PUBCOMP waits for the returned stage. */
    CompletionStage<Void> releasedQos2(String clientId, int packetId);

    /**
     * Queued (not in flight) messages after a sequence number, oldest first, read after every write submitted
     * before it has committed. Completes on the store's own thread.
     */
    CompletionStage<List<StoredMessage>> loadQueued(String clientId, long afterSeq, int limit);

    /** Every stored session, for recovery at startup. Blocking. */
    List<StoredSession> loadAll();

    /** A stored outgoing message. */
    record StoredMessage(long seq, Message message, int qos, boolean retain, int[] subscriptionIds, Integer packetId,
                         boolean released) {
    }

    /**
     * A stored session as recovery needs it: its in-flight messages, the head of its queue and how many more wait
     * in the store.
     */
    record StoredSession(String clientId, long expiryInterval, int protocolLevel, long disconnectedAtMillis,
                         long nextSeq, List<Subscription> subscriptions, List<Integer> inboundQos2,
                         List<StoredMessage> inflight, List<StoredMessage> queued, int queuedInStore,
                         Message delayedWill, long willDelay) {
    }

    SessionStore MEMORY = new SessionStore() {
        @Override
        public boolean durable() {
            return false;
        }

        @Override
        public CompletionStage<Void> open(String clientId, long expiryInterval, int protocolLevel) {
            return DONE;
        }

        @Override
        public void closed(String clientId, long expiryInterval, Message delayedWill, long willDelay) {
        }

        @Override
        public void willDone(String clientId) {
        }

        @Override
        public void delete(String clientId) {
        }

        @Override
        public CompletionStage<Void> subscribe(String clientId, Subscription subscription) {
            return DONE;
        }

        @Override
        public CompletionStage<Void> unsubscribe(String clientId, String key) {
            return DONE;
        }

        @Override
        public CompletionStage<Void> enqueue(String clientId, long seq, Message message, int qos, boolean retain,
                                             int[] subscriptionIds) {
            return DONE;
        }

        @Override
        public void inflight(String clientId, long seq, int packetId) {
        }

        @Override
        public CompletionStage<Void> released(String clientId, long seq) {
            return DONE;
        }

        @Override
        public void remove(String clientId, long seq) {
        }

        @Override
        public CompletionStage<Void> receivedQos2(String clientId, int packetId) {
            return DONE;
        }

        @Override
        public CompletionStage<Void> releasedQos2(String clientId, int packetId) {
            return DONE;
        }

        @Override
        public CompletionStage<List<StoredMessage>> loadQueued(String clientId, long afterSeq, int limit) {
            return CompletableFuture.completedFuture(List.of());
        }

        @Override
        public List<StoredSession> loadAll() {
            return List.of();
        }
    };
}
