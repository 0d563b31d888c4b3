package io.conduit.persistence;

import io.conduit.routing.Message;
import io.conduit.session.SessionStore;
import io.conduit.testing.EmbeddedPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The session store folds changes to a message into its INSERT while that still waits in the writer's queue, and
 * takes the INSERT back when the message is removed before it was written. The writer is held on a read (a latch)
 * so that the writes queue up behind it.
 */
class PendingWritesTest {

    private static final String CLIENT = "pending-writes";

    private BatchWriter writer;
    private PostgresSessionStore store;
    private PGSimpleDataSource dataSource;
    private CountDownLatch gate;

    @BeforeEach
    void setUp() throws Exception {
        EmbeddedPostgres pg = EmbeddedPostgres.get();
        dataSource = new PGSimpleDataSource();
        dataSource.setUrl(pg.jdbcUrl());
        dataSource.setUser(EmbeddedPostgres.USER);
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
            s.execute(Files.readString(Path.of("src/main/resources/db/migration/V1__mqtt_state.sql"),
                    StandardCharsets.UTF_8));
        }
        writer = new BatchWriter(dataSource, 1000, 100);
        store = new PostgresSessionStore(writer, 100);
        store.open(CLIENT, 3600, 5).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void tearDown() {
        if (gate != null) {
            gate.countDown();
        }
        writer.close();
    }

    /** Holds the writer on a write of another session until {@link #release()}. */
    private void hold() throws InterruptedException {
        gate = new CountDownLatch(1);
        CountDownLatch inWrite = new CountDownLatch(1);
        writer.submit(BatchWriter.Write.of("UPDATE mqtt_session SET expiry_interval = expiry_interval "
                + "WHERE client_id = ?", ps -> {
            inWrite.countDown();
            try {
                gate.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ps.setString(1, "someone-else");
        }));
        assertTrue(inWrite.await(10, TimeUnit.SECONDS));
    }

    private void release() {
        gate.countDown();
    }

    /** Waits until every write submitted so far has committed. */
    private void barrier() throws Exception {
        writer.read(c -> null).get(10, TimeUnit.SECONDS);
    }

    private CompletableFuture<Void> enqueue(long seq, int qos) {
        return store.enqueue(CLIENT, seq, Message.of("t/" + seq, "m" + seq, qos, false), qos, false, new int[0])
                .toCompletableFuture();
    }

    private long rows() throws SQLException {
        return count("SELECT count(*) FROM mqtt_queued_message");
    }

    private long count(String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The message rows as "seq:packet id:released", "-" for no packet id (queued). */
    private List<String> messageRows() throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT seq, coalesce(packet_id::text, '-'), released "
                     + "FROM mqtt_queued_message ORDER BY seq")) {
            List<String> out = new java.util.ArrayList<>();
            while (rs.next()) {
                out.add(rs.getLong(1) + ":" + rs.getString(2) + ":" + rs.getBoolean(3));
            }
            return out;
        }
    }

    @Test
    void removedBeforeItWasWrittenCostsNoWriteAndCompletesTheInsert() throws Exception {
        hold();
        long committed = writer.committedWrites();
        CompletableFuture<Void> stored = enqueue(1, 1);
        store.inflight(CLIENT, 1, 17);
        assertFalse(stored.isDone(), "nothing is committed while the writer is held");
        store.remove(CLIENT, 1);
        // Acknowledged by the subscriber before the database saw it: a durable PUBACK may go out now.
        assertTrue(stored.isDone() && !stored.isCompletedExceptionally());
        release();
        barrier();
        assertEquals(0, rows());
        assertEquals(committed + 1, writer.committedWrites(),
                "no INSERT, UPDATE or DELETE reached the database, only the write that held the writer");
        assertEquals(1, writer.cancelledWrites());
    }

    @Test
    void inFlightAndReleasedAreFoldedIntoAQueuedInsert() throws Exception {
        hold();
        CompletableFuture<Void> stored = enqueue(1, 2);
        store.inflight(CLIENT, 1, 42);
        store.released(CLIENT, 1);
        long committed = writer.committedWrites();
        release();
        stored.get(10, TimeUnit.SECONDS);
        barrier();
        assertEquals(committed + 2, writer.committedWrites(), "the write that held the writer, one INSERT, no UPDATE");
        assertEquals(List.of("1:42:true"), messageRows(), "in flight as packet 42 and released");
    }

    @Test
    void aWrittenMessageIsDeletedAndItsPendingUpdateTakenBack() throws Exception {
        enqueue(1, 1).get(10, TimeUnit.SECONDS);
        assertEquals(1, rows());
        hold();
        store.inflight(CLIENT, 1, 5);
        store.remove(CLIENT, 1);
        release();
        barrier();
        assertEquals(0, rows());
        assertEquals(1, writer.cancelledWrites(), "the in-flight UPDATE was moot");
    }

    @Test
    void anInsertTheWriterHasTakenIsNotTakenBack() throws Exception {
        CompletableFuture<Void> stored = enqueue(1, 1);
        stored.get(10, TimeUnit.SECONDS);
        store.inflight(CLIENT, 1, 3);
        barrier();
        assertEquals(List.of("1:3:false"), messageRows());
        store.remove(CLIENT, 1);
        barrier();
        assertEquals(0, rows());
        assertEquals(0, writer.cancelledWrites());
    }

    @Test
    void interleavedRowWritesGroupedByStatementEndInTheSameState() throws Exception {
        for (int seq = 1; seq <= 3; seq++) {
            enqueue(seq, 1).get(10, TimeUnit.SECONDS);
        }
        hold();
        // Taken by the writer in one batch: DELETEs of written rows between INSERTs and UPDATEs of new ones, and a
        // subscription (not a row write) that nothing may move across.
        store.remove(CLIENT, 1);
        CompletableFuture<Void> four = enqueue(4, 1);
        store.remove(CLIENT, 2);
        store.inflight(CLIENT, 3, 33);
        store.subscribe(CLIENT, new io.conduit.routing.Subscription(CLIENT, "a/#", null, 1, false, false, 0, 0));
        store.remove(CLIENT, 3);
        CompletableFuture<Void> five = enqueue(5, 2);
        store.inflight(CLIENT, 5, 55);
        store.released(CLIENT, 5);
        release();
        four.get(10, TimeUnit.SECONDS);
        five.get(10, TimeUnit.SECONDS);
        barrier();
        assertEquals(List.of("4:-:false", "5:55:true"), messageRows(), "4 queued, 5 in flight and released");
        assertEquals(1, count("SELECT count(*) FROM mqtt_subscription"));
        assertEquals(2, rows());
    }

    @Test
    void queuedMessagesStayQueuedAndPageInOrder() throws Exception {
        hold();
        for (int seq = 1; seq <= 5; seq++) {
            enqueue(seq, 1);
        }
        store.remove(CLIENT, 2);
        store.inflight(CLIENT, 1, 9);
        release();
        List<SessionStore.StoredMessage> page = store.loadQueued(CLIENT, 0, 10).toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        assertEquals(List.of(3L, 4L, 5L), page.stream().map(SessionStore.StoredMessage::seq).toList());
        page.forEach(m -> assertNull(m.packetId()));
        assertEquals(4, rows());
    }

    @Test
    void aPageReadWaitsForItsOwnSessionOnlyAndNeverBlocksTheCaller() throws Exception {
        for (int seq = 1; seq <= 3; seq++) {
            enqueue(seq, 1).get(10, TimeUnit.SECONDS);
        }
        store.open("someone-else", 3600, 5).toCompletableFuture().get(10, TimeUnit.SECONDS);
        hold();
        // Fill the queue with another session's writes: the writer is held, so none of them moves.
        int refused = 0;
        for (int i = 0; i < 1100; i++) {
            if (otherSessionWrite(i).isCompletedExceptionally()) {
                refused++;
            }
        }
        assertTrue(refused > 0, "the queue is full");
        CompletableFuture<List<SessionStore.StoredMessage>> page = assertTimeoutPreemptively(Duration.ofSeconds(2),
                () -> store.loadQueued(CLIENT, 0, 10).toCompletableFuture(), "a page read must not block its caller");
        assertEquals(List.of(1L, 2L, 3L), seqs(page.get(10, TimeUnit.SECONDS)), "read while the writer is held");
        release();
        barrier();

        // A read after a write of its own session waits for that write, not for the others queued behind it.
        hold();
        CompletableFuture<Void> four = enqueue(4, 1);
        for (int i = 0; i < 100; i++) {
            otherSessionWrite(2000 + i);
        }
        CompletableFuture<List<SessionStore.StoredMessage>> after = store.loadQueued(CLIENT, 3, 10)
                .toCompletableFuture();
        Thread.sleep(200);
        assertFalse(after.isDone(), "waits for its own session's INSERT");
        release();
        four.get(10, TimeUnit.SECONDS);
        assertEquals(List.of(4L), seqs(after.get(10, TimeUnit.SECONDS)));

        // Nor for its own newer messages beyond the page: a subscriber reads the head of its queue while the tail
        // is still being written.
        hold();
        for (int seq = 5; seq <= 8; seq++) {
            enqueue(seq, 1);
        }
        CompletableFuture<List<SessionStore.StoredMessage>> head = store.loadQueued(CLIENT, 0, 2)
                .toCompletableFuture();
        assertEquals(List.of(1L, 2L), seqs(head.get(10, TimeUnit.SECONDS)), "read while the writer is held");
        release();
    }

    private CompletableFuture<Void> otherSessionWrite(int seq) {
        return store.enqueue("someone-else", seq + 1, Message.of("t", "x", 1, false), 1, false, new int[0])
                .toCompletableFuture();
    }

    private static List<Long> seqs(List<SessionStore.StoredMessage> page) {
        return page.stream().map(SessionStore.StoredMessage::seq).toList();
    }
}
