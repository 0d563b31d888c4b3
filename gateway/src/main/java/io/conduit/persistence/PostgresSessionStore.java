package io.conduit.persistence;

import io.conduit.routing.Message;
import io.conduit.routing.Subscription;
import io.conduit.session.SessionStore;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Persistent sessions in PostgreSQL. Every change goes through the batch writer in the order the broker made it, so
 * a restart finds the state as of the last committed batch; recovery reads it back with the entities of
 * {@link io.conduit.persistence.entity} ({@link SessionRecovery}).
 *
 * <p>An outgoing message's row lives from {@link #enqueue} to {@link #remove}. While its INSERT still waits in the
 * writer's queue, later changes to it are folded in instead of written: marking it in flight or released sets the
 * columns of the pending INSERT, and removing it (the subscriber acknowledged it, or it was dropped) takes the
 * INSERT back, so that a message acknowledged faster than the database commits costs no write at all. The
 * INSERT's stage then completes as if it had committed: the message no longer needs storing, which is what a
 * durable PUBACK waits for. A removal after the INSERT was taken is written as usual, and takes back a still
 * pending in-flight UPDATE of the same row, which the DELETE makes moot.
 *
 * <p>The writes of a message row are {@linkplain BatchWriter.Write#row staged} (INSERT, in flight, released,
 * DELETE): the writer may group a run of them by statement, since rows are independent and each row's writes come
 * in that order.
 */
public final class PostgresSessionStore implements SessionStore {

    private static final String OPEN = "INSERT INTO mqtt_session (client_id, expiry_interval, protocol_level) "
            + "VALUES (?, ?, ?) ON CONFLICT (client_id) DO UPDATE SET expiry_interval = EXCLUDED.expiry_interval, "
            + "protocol_level = EXCLUDED.protocol_level, disconnected_at = NULL, will_topic = NULL";
    private static final String CLOSED = "UPDATE mqtt_session SET disconnected_at = now(), expiry_interval = ?, "
            + "will_topic = ?, will_payload = ?, will_qos = ?, will_retain = ?, will_delay = ?, "
            + "will_payload_format = ?, will_content_type = ?, will_response_topic = ?, will_correlation_data = ?, "
            + "will_user_properties = ?, will_expiry_interval = ? WHERE client_id = ?";
    private static final String WILL_DONE = "UPDATE mqtt_session SET will_topic = NULL WHERE client_id = ?";
    private static final String DELETE = "DELETE FROM mqtt_session WHERE client_id = ?";
    private static final String SUBSCRIBE = "INSERT INTO mqtt_subscription (client_id, topic_key, topic_filter, "
            + "share_group, qos, no_local, retain_as_published, retain_handling, subscription_id) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (client_id, topic_key) DO UPDATE SET "
            + "qos = EXCLUDED.qos, no_local = EXCLUDED.no_local, retain_as_published = EXCLUDED.retain_as_published, "
            + "retain_handling = EXCLUDED.retain_handling, subscription_id = EXCLUDED.subscription_id";
    private static final String UNSUBSCRIBE = "DELETE FROM mqtt_subscription WHERE client_id = ? AND topic_key = ?";
    private static final String ENQUEUE = "INSERT INTO mqtt_queued_message (client_id, seq, retain, "
            + "subscription_ids, packet_id, released, " + MessageColumns.NAMES + ") VALUES (?, ?, ?, ?, ?, ?, "
            + MessageColumns.PLACEHOLDERS + ") ON CONFLICT DO NOTHING";
    private static final String INFLIGHT = "UPDATE mqtt_queued_message SET packet_id = ? WHERE client_id = ? AND seq = ?";
    private static final String RELEASED = "UPDATE mqtt_queued_message SET released = true "
            + "WHERE client_id = ? AND seq = ?";
    private static final String REMOVE = "DELETE FROM mqtt_queued_message WHERE client_id = ? AND seq = ?";
    private static final String QOS2_IN = "INSERT INTO mqtt_inbound_qos2 (client_id, packet_id) VALUES (?, ?) "
            + "ON CONFLICT DO NOTHING";
    private static final String QOS2_OUT = "DELETE FROM mqtt_inbound_qos2 WHERE client_id = ? AND packet_id = ?";
    private static final String QUEUED_PAGE = "SELECT * FROM mqtt_queued_message WHERE client_id = ? AND seq > ? "
            + "AND packet_id IS NULL ORDER BY seq LIMIT ?";

    private final BatchWriter writer;
    private final int memoryWindow;
    /** Messages whose INSERT has not completed yet. */
    private final Map<Key, PendingRow> pendingRows = new ConcurrentHashMap<>();
    /** In-flight UPDATEs not completed yet. */
    private final Map<Key, BatchWriter.Ticket> pendingUpdates = new ConcurrentHashMap<>();

    private record Key(String clientId, long seq) {
    }

    /**
     * A message row whose INSERT is queued. Calls for one session come under the session's lock, one at a time;
     * the fields are volatile for the writer's thread, which binds them when it takes the INSERT.
     */
    private static final class PendingRow {
        BatchWriter.Ticket insert;
        volatile int packetId;
        volatile boolean released;
    }

    public PostgresSessionStore(BatchWriter writer, int memoryWindow) {
        this.writer = writer;
        this.memoryWindow = memoryWindow;
    }

    @Override
    public boolean durable() {
        return true;
    }

    @Override
    public CompletionStage<Void> open(String clientId, long expiryInterval, int protocolLevel) {
        return writer.submit(BatchWriter.Write.of(OPEN, ps -> {
            ps.setString(1, clientId);
            ps.setLong(2, expiryInterval);
            ps.setShort(3, (short) protocolLevel);
        }));
    }

    @Override
    public void closed(String clientId, long expiryInterval, Message will, long willDelay) {
        writer.submit(BatchWriter.Write.of(CLOSED, ps -> {
            ps.setLong(1, expiryInterval);
            if (will == null) {
                for (int i = 2; i <= 12; i++) {
                    ps.setNull(i, Types.NULL);
                }
            } else {
                ps.setString(2, will.topic());
                ps.setBytes(3, will.payload());
                ps.setShort(4, (short) will.qos());
                ps.setBoolean(5, will.retain());
                ps.setLong(6, willDelay);
                setNullable(ps, 7, will.payloadFormat());
                ps.setString(8, will.contentType());
                ps.setString(9, will.responseTopic());
                ps.setBytes(10, will.correlationData());
                ps.setArray(11, MessageColumns.userProperties(ps.getConnection(), will.userProperties()));
                if (will.expires()) {
                    ps.setLong(12, will.expiryInterval());
                } else {
                    ps.setNull(12, Types.BIGINT);
                }
            }
            ps.setString(13, clientId);
        }));
    }

    @Override
    public void willDone(String clientId) {
        writer.submit(BatchWriter.Write.of(WILL_DONE, ps -> ps.setString(1, clientId)));
    }

    @Override
    public void delete(String clientId) {
        writer.submit(BatchWriter.Write.of(DELETE, ps -> ps.setString(1, clientId)));
    }

    @Override
    public CompletionStage<Void> subscribe(String clientId, Subscription s) {
        return writer.submit(BatchWriter.Write.of(SUBSCRIBE, ps -> {
            ps.setString(1, clientId);
            ps.setString(2, s.key());
            ps.setString(3, s.filter());
            ps.setString(4, s.shareGroup());
            ps.setShort(5, (short) s.qos());
            ps.setBoolean(6, s.noLocal());
            ps.setBoolean(7, s.retainAsPublished());
            ps.setShort(8, (short) s.retainHandling());
            ps.setInt(9, s.identifier());
        }));
    }

    @Override
    public CompletionStage<Void> unsubscribe(String clientId, String key) {
        return writer.submit(BatchWriter.Write.of(UNSUBSCRIBE, ps -> {
            ps.setString(1, clientId);
            ps.setString(2, key);
        }));
    }

    @Override
    public CompletionStage<Void> enqueue(String clientId, long seq, Message message, int qos, boolean retain,
                                         int[] subscriptionIds) {
        Key key = new Key(clientId, seq);
        PendingRow row = new PendingRow();
        pendingRows.put(key, row);
        row.insert = writer.enqueue(BatchWriter.Write.row(ENQUEUE, 0, ps -> {
            ps.setString(1, clientId);
            ps.setLong(2, seq);
            ps.setBoolean(3, retain);
            Integer[] ids = new Integer[subscriptionIds.length];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = subscriptionIds[i];
            }
            ps.setArray(4, ps.getConnection().createArrayOf("integer", ids));
            int packetId = row.packetId;
            if (packetId == 0) {
                ps.setNull(5, Types.INTEGER);
            } else {
                ps.setInt(5, packetId);
            }
            ps.setBoolean(6, row.released);
            MessageColumns.bind(ps, 7, message, qos);
        }));
        CompletableFuture<Void> done = row.insert.future();
        done.whenComplete((ok, error) -> pendingRows.remove(key, row));
        return done;
    }

    @Override
    public void inflight(String clientId, long seq, int packetId) {
        Key key = new Key(clientId, seq);
        PendingRow row = pendingRows.get(key);
        if (row != null) {
            // Set before asking: if the INSERT is still queued, the writer binds this value when it takes it.
            row.packetId = packetId;
            if (row.insert.queued()) {
                return;
            }
        }
        BatchWriter.Ticket update = writer.enqueue(BatchWriter.Write.row(INFLIGHT, 1, ps -> {
            ps.setInt(1, packetId);
            ps.setString(2, clientId);
            ps.setLong(3, seq);
        }));
        pendingUpdates.put(key, update);
        update.future().whenComplete((ok, error) -> pendingUpdates.remove(key, update));
    }

    @Override
    public CompletionStage<Void> released(String clientId, long seq) {
        PendingRow row = pendingRows.get(new Key(clientId, seq));
        if (row != null) {
            row.released = true;
            if (row.insert.queued()) {
                // Folded into the INSERT still waiting: durable when that commits.
                return row.insert.future();
            }
        }
        return byClient(RELEASED, 2, clientId, seq);
    }

    @Override
    public void remove(String clientId, long seq) {
        Key key = new Key(clientId, seq);
        PendingRow row = pendingRows.remove(key);
        if (row != null && row.insert.cancel()) {
            // Never written, and nothing else about it was (the in-flight mark was folded into the INSERT).
            return;
        }
        BatchWriter.Ticket update = pendingUpdates.remove(key);
        if (update != null) {
            update.cancel();
        }
        byClient(REMOVE, 3, clientId, seq);
    }

    @Override
    public CompletionStage<Void> receivedQos2(String clientId, int packetId) {
        return byClient(QOS2_IN, -1, clientId, packetId);
    }

    @Override
    public CompletionStage<Void> releasedQos2(String clientId, int packetId) {
        return byClient(QOS2_OUT, -1, clientId, packetId);
    }

    /**
     * A write whose parameters are the client id and one number (a sequence number or a packet id); {@code stage} is
     * the message-row stage it belongs to, or -1 for a write that is not one.
     */
    private CompletionStage<Void> byClient(String sql, int stage, String clientId, long key) {
        return writer.submit(BatchWriter.Write.row(sql, stage, ps -> {
            ps.setString(1, clientId);
            ps.setLong(2, key);
        }));
    }

    /**
     * Waits only for the INSERTs of the rows it reads: that of the newest message still pending among the next
     * {@code limit} after {@code afterSeq}. A session's INSERTs are queued in sequence order, after anything else
     * of its client id written before them (e.g. the DELETE of the session it replaced), so once that one is done
     * so is everything the page depends on, whatever the writer still holds for this session's newer messages and
     * for other sessions. Rows beyond the range may be read too: they commit in sequence order, so never with a gap.
     */
    @Override
    public CompletionStage<List<StoredMessage>> loadQueued(String clientId, long afterSeq, int limit) {
        long needed = 0;
        for (long seq = afterSeq + limit; seq > afterSeq && needed == 0; seq--) {
            PendingRow row = pendingRows.get(new Key(clientId, seq));
            if (row != null && row.insert != null) {
                needed = row.insert.number();
            }
        }
        return writer.readAfter(needed, c -> queuedPage(c, clientId, afterSeq, limit));
    }

    private static List<StoredMessage> queuedPage(Connection c, String clientId, long afterSeq, int limit)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(QUEUED_PAGE)) {
            ps.setString(1, clientId);
            ps.setLong(2, afterSeq);
            ps.setInt(3, limit);
            try (ResultSet rs = ps.executeQuery()) {
                List<StoredMessage> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(storedMessage(rs));
                }
                return out;
            }
        }
    }

    private static StoredMessage storedMessage(ResultSet rs) throws SQLException {
        Integer[] ids = (Integer[]) rs.getArray("subscription_ids").getArray();
        int[] subscriptionIds = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            subscriptionIds[i] = ids[i];
        }
        int packetId = rs.getInt("packet_id");
        Integer pid = rs.wasNull() ? null : packetId;
        return new StoredMessage(rs.getLong("seq"), MessageColumns.read(rs, rs.getBoolean("retain")),
                rs.getShort("qos"), rs.getBoolean("retain"), subscriptionIds, pid, rs.getBoolean("released"));
    }

    @Override
    public List<StoredSession> loadAll() {
        return SessionRecovery.loadAll(memoryWindow);
    }

    private static void setNullable(PreparedStatement ps, int index, Integer value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.SMALLINT);
        } else {
            ps.setShort(index, value.shortValue());
        }
    }
}
