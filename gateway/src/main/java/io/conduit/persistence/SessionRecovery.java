package io.conduit.persistence;

import io.conduit.persistence.entity.MessageFields;
import io.conduit.persistence.entity.QueuedMessageEntity;
import io.conduit.persistence.entity.SessionEntity;
import io.conduit.persistence.entity.SubscriptionEntity;
import io.conduit.routing.Message;
import io.conduit.routing.Subscription;
import io.conduit.session.SessionStore.StoredMessage;
import io.conduit.session.SessionStore.StoredSession;
import io.quarkus.narayana.jta.QuarkusTransaction;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads every stored session back at startup with the entities, in four queries whatever the number of sessions:
 * sessions with their subscriptions and QoS 2 ids (fetch joins), the messages in flight, the head of every queue (up
 * to the memory window) and each queue's length and highest sequence number.
 */
final class SessionRecovery {

    private SessionRecovery() {
    }

    static List<StoredSession> loadAll(int memoryWindow) {
        return QuarkusTransaction.requiringNew().call(() -> load(memoryWindow));
    }

    private static List<StoredSession> load(int memoryWindow) {
        List<SessionEntity> sessions = SessionEntity.allWithSubscriptions();
        Map<String, List<StoredMessage>> inflight = byClient(QueuedMessageEntity.allInFlight());
        Map<String, List<StoredMessage>> heads = byClient(QueuedMessageEntity.queueHeads(memoryWindow));
        Map<String, long[]> queues = new HashMap<>();
        for (Object[] row : QueuedMessageEntity.sequenceAndQueueLength()) {
            queues.put((String) row[0], new long[] {((Number) row[1]).longValue(), ((Number) row[2]).longValue()});
        }
        List<StoredSession> out = new ArrayList<>(sessions.size());
        for (SessionEntity s : sessions) {
            long[] queue = queues.getOrDefault(s.clientId, new long[] {0, 0});
            List<StoredMessage> queued = heads.getOrDefault(s.clientId, List.of());
            List<Subscription> subscriptions = s.subscriptions.stream()
                    .sorted(Comparator.comparing(sub -> sub.topicKey))
                    .map(SessionRecovery::subscription).toList();
            out.add(new StoredSession(s.clientId, s.expiryInterval, s.protocolLevel,
                    s.disconnectedAt == null ? System.currentTimeMillis() : s.disconnectedAt.toEpochMilli(),
                    queue[0] + 1, subscriptions, List.copyOf(s.inboundQos2),
                    inflight.getOrDefault(s.clientId, List.of()), queued, (int) queue[1] - queued.size(),
                    will(s), s.willDelay == null ? 0 : s.willDelay));
        }
        return out;
    }

    private static Subscription subscription(SubscriptionEntity s) {
        return new Subscription(s.clientId, s.topicFilter, s.shareGroup, s.qos, s.noLocal, s.retainAsPublished,
                s.retainHandling, s.subscriptionId);
    }

    private static Message will(SessionEntity s) {
        if (s.willTopic == null) {
            return null;
        }
        // A will is published as its client's message; stored_at does not apply, its expiry counts from the publish.
        return MessageColumns.message(s.willTopic, s.willPayload, s.willQos, Boolean.TRUE.equals(s.willRetain),
                s.clientId, s.willPayloadFormat, s.willContentType, s.willResponseTopic, s.willCorrelationData,
                s.willUserProperties, s.willExpiryInterval, null);
    }

    static Message message(MessageFields f, boolean retain) {
        return MessageColumns.message(f.topic, f.payload, f.qos, retain, f.publisherId, f.payloadFormat,
                f.contentType, f.responseTopic, f.correlationData, f.userProperties, f.expiryInterval, f.storedAt);
    }

    /** Groups messages (ordered by client id, then sequence) by client id, keeping their order. */
    private static Map<String, List<StoredMessage>> byClient(List<QueuedMessageEntity> rows) {
        Map<String, List<StoredMessage>> out = new HashMap<>();
        for (QueuedMessageEntity q : rows) {
            Message m = message(q.message, q.retain);
            int[] ids = new int[q.subscriptionIds.length];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = q.subscriptionIds[i];
            }
            out.computeIfAbsent(q.clientId, k -> new ArrayList<>()).add(new StoredMessage(q.seq, m, q.message.qos,
                    q.retain, ids, q.packetId, q.released));
        }
        return out;
    }
}
