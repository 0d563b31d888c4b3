package io.conduit.persistence;

import io.conduit.persistence.entity.RetainedMessageEntity;
import io.conduit.routing.InMemoryRetainedStore;
import io.conduit.routing.Message;
import io.conduit.routing.RetainedStore;
import io.quarkus.narayana.jta.QuarkusTransaction;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Retained messages in PostgreSQL, read from an in-memory trie loaded at startup (with the entities): subscribers
 * never wait for the database, and writes go through the batch writer.
 */
public final class PostgresRetainedStore implements RetainedStore {

    private static final String UPSERT = "INSERT INTO mqtt_retained_message (" + MessageColumns.NAMES + ") VALUES ("
            + MessageColumns.PLACEHOLDERS + ") ON CONFLICT (topic) DO UPDATE SET payload = EXCLUDED.payload, "
            + "qos = EXCLUDED.qos, publisher_id = EXCLUDED.publisher_id, payload_format = EXCLUDED.payload_format, "
            + "content_type = EXCLUDED.content_type, response_topic = EXCLUDED.response_topic, "
            + "correlation_data = EXCLUDED.correlation_data, user_properties = EXCLUDED.user_properties, "
            + "expiry_interval = EXCLUDED.expiry_interval, stored_at = EXCLUDED.stored_at";
    private static final String DELETE = "DELETE FROM mqtt_retained_message WHERE topic = ?";
    /** Only while the row is still the expired one: a newer message may have replaced it since. */
    private static final String DELETE_EXPIRED = "DELETE FROM mqtt_retained_message WHERE topic = ? "
            + "AND expiry_interval IS NOT NULL AND stored_at + expiry_interval * interval '1 second' <= ?";
    private static final String DELETE_ALL_EXPIRED = "DELETE FROM mqtt_retained_message WHERE expiry_interval "
            + "IS NOT NULL AND stored_at + expiry_interval * interval '1 second' <= now()";

    private final InMemoryRetainedStore cache = new InMemoryRetainedStore();
    private final BatchWriter writer;

    public PostgresRetainedStore(DataSource dataSource, BatchWriter writer) throws SQLException {
        this.writer = writer;
        load(dataSource);
        cache.onExpired(m -> writer.submit(BatchWriter.Write.of(DELETE_EXPIRED, ps -> {
            ps.setString(1, m.topic());
            ps.setTimestamp(2, new Timestamp(System.currentTimeMillis()));
        })));
    }

    /** Loads the retained messages still valid; the rows of those that expired while the broker was down go. */
    private void load(DataSource dataSource) throws SQLException {
        long now = System.nanoTime();
        try (Connection c = dataSource.getConnection();
             PreparedStatement delete = c.prepareStatement(DELETE_ALL_EXPIRED)) {
            delete.executeUpdate();
        }
        List<RetainedMessageEntity> stored = QuarkusTransaction.requiringNew()
                .call(() -> RetainedMessageEntity.<RetainedMessageEntity>listAll());
        for (RetainedMessageEntity r : stored) {
            Message m = SessionRecovery.message(r.message, true);
            if (!m.isExpired(now)) {
                cache.update(m);
            }
        }
    }

    @Override
    public CompletionStage<Void> put(Message message) {
        cache.update(message);
        if (message.payload().length == 0) {
            return writer.submit(BatchWriter.Write.of(DELETE, ps -> ps.setString(1, message.topic())));
        }
        return writer.submit(BatchWriter.Write.of(UPSERT, ps -> MessageColumns.bind(ps, 1, message, message.qos())));
    }

    @Override
    public List<Message> match(String filter) {
        return cache.match(filter);
    }

    @Override
    public int size() {
        return cache.size();
    }
}
