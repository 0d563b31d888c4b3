package io.conduit.persistence;

import org.jboss.logging.Logger;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The write-behind path to PostgreSQL: callers on event loops enqueue writes and go on; one worker thread takes
 * whatever has accumulated, runs it as JDBC batches in a single transaction (group commit) and then completes each
 * write's future, which is what a durable PUBACK waits for. The queue is bounded; above the high watermark
 * publishers are asked to pause until it drains.
 *
 * <p>While the database is unreachable the worker retries the same transaction with back-off, so nothing accepted
 * is lost and order is kept; writes simply wait, and the queue's bound turns that into back-pressure.
 *
 * <p>Reads do not queue behind the writes: every accepted write gets a number in queue order, and a read
 * ({@link #readAfter}) runs on a reader thread of its own connection as soon as the writes up to a given number are
 * done. A caller that knows which of its writes a read depends on (the store knows the last write of each session)
 * thus waits for those only, not for the whole backlog of other sessions.
 */
public final class BatchWriter implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(BatchWriter.class);

    /** One write: a statement and how to bind it. Consecutive writes with the same SQL share a JDBC batch. */
    public interface Write {
        String sql();

        void bind(PreparedStatement ps) throws SQLException;

        /** See {@link #row}; -1 for a write that keeps its place. */
        default int stage() {
            return -1;
        }

        static Write of(String sql, Binder binder) {
            return row(sql, -1, binder);
        }

        /**
         * A write to one row that goes through a fixed life cycle, {@code stage} being its step (0 first): it
         * commutes with every write of such a kind to another row, and the writes to one row are submitted in stage
         * order. Within a run of consecutive staged writes the worker may then group them by stage, stably, so that
         * each statement is one JDBC batch (one round trip) instead of one round trip per change of statement. A
         * write without a stage is a barrier nothing moves across.
         */
        static Write row(String sql, int stage, Binder binder) {
            return new Write() {
                @Override
                public String sql() {
                    return sql;
                }

                @Override
                public void bind(PreparedStatement ps) throws SQLException {
                    binder.bind(ps);
                }

                @Override
                public int stage() {
                    return stage;
                }
            };
        }
    }

    /** Sets a statement's parameters. */
    @FunctionalInterface
    public interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    /** A query that must see every write submitted before it. */
    public interface Read<T> {
        T query(Connection connection) throws SQLException;
    }

    /**
     * A write that may still be taken back: {@link #cancel} succeeds while the worker has not picked the write for a
     * batch, and then completes it as if it had committed. The caller must only cancel a write whose effect a later
     * write would undo anyway (an INSERT whose row is deleted next), so that skipping both changes nothing.
     */
    public static final class Ticket {
        private final Pending pending;

        private Ticket(Pending pending) {
            this.pending = pending;
        }

        /** The write's place in the queue order ({@link #readAfter}); 0 when the queue refused it. */
        public long number() {
            return pending.number;
        }

        public CompletableFuture<Void> future() {
            @SuppressWarnings({"unchecked", "rawtypes"})
            CompletableFuture<Void> f = (CompletableFuture) pending.done;
            return f;
        }

        /**
         * Whether the worker has not taken the write yet. A value the write's binder reads, set before this returns
         * true, is seen by the binder: the worker takes a write (atomically) before it binds it.
         */
        public boolean queued() {
            return pending.state == QUEUED;
        }

        /** Takes the write back unless the worker already took it; on success its future completes normally. */
        public boolean cancel() {
            if (STATE.compareAndSet(pending, QUEUED, CANCELLED)) {
                pending.done.complete(null);
                return true;
            }
            return false;
        }
    }

    /** Reads are few (paging long queues back in); two let one session's read not wait for another's. */
    private static final int READER_THREADS = 2;

    private static final int QUEUED = 0;
    private static final int TAKEN = 1;
    private static final int CANCELLED = 2;
    private static final AtomicIntegerFieldUpdater<Pending> STATE =
            AtomicIntegerFieldUpdater.newUpdater(Pending.class, "state");

    private static final class Pending {
        final Write write;
        final CompletableFuture<Object> done;
        /** Position in the queue order, from 1; 0 for a write that was refused. */
        long number;
        volatile int state = QUEUED;

        Pending(Write write, CompletableFuture<Object> done) {
            this.write = write;
            this.done = done;
        }

        /** Claims the write for a batch; false when it was cancelled. */
        boolean take() {
            return STATE.compareAndSet(this, QUEUED, TAKEN);
        }
    }

    private final DataSource dataSource;
    private final BlockingQueue<Pending> queue;
    private final int capacity;
    private final int maxBatch;
    private final Queue<Runnable> drainedWaiters = new ConcurrentLinkedQueue<>();
    /** Guards {@link #submitted}: numbers are handed out in the order writes enter the queue. */
    private final Object submitLock = new Object();
    private long submitted;
    /** Every write numbered up to this one is done (committed, refused or taken back). */
    private volatile long completed;
    /** Reads waiting for a write number, lowest first; guarded by itself. */
    private final PriorityQueue<WaitingRead> waitingReads =
            new PriorityQueue<>(Comparator.comparingLong(WaitingRead::afterWrite));
    private final ExecutorService readers;
    private final Thread worker;
    private final AtomicLong committedWrites = new AtomicLong();
    private final AtomicLong failedWrites = new AtomicLong();
    private final AtomicLong cancelledWrites = new AtomicLong();
    private volatile boolean running = true;
    private volatile boolean healthy = true;
    private volatile String lastError;

    public BatchWriter(DataSource dataSource, int capacity, int maxBatch) {
        this.dataSource = dataSource;
        this.capacity = capacity;
        this.maxBatch = maxBatch;
        this.queue = new ArrayBlockingQueue<>(capacity);
        AtomicInteger readerCount = new AtomicInteger();
        this.readers = Executors.newFixedThreadPool(READER_THREADS, r -> {
            Thread t = new Thread(r, "conduit-db-reader-" + readerCount.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.worker = new Thread(this::run, "conduit-db-writer");
        this.worker.setDaemon(true);
        this.worker.start();
    }

    /**
     * Enqueues a write; the future completes when its transaction has committed. When the queue is full the future
     * fails at once with {@link WriterFullException}.
     */
    public CompletableFuture<Void> submit(Write write) {
        return enqueue(write).future();
    }

    /** Like {@link #submit}, and the write may be {@linkplain Ticket#cancel() taken back} until the worker takes it. */
    public Ticket enqueue(Write write) {
        Pending p = new Pending(write, new CompletableFuture<>());
        boolean accepted;
        // offer() never blocks, so holding the lock around it costs an event loop nothing.
        synchronized (submitLock) {
            p.number = submitted + 1;
            accepted = queue.offer(p);
            if (accepted) {
                submitted = p.number;
            }
        }
        if (!accepted) {
            p.number = 0;
            p.state = CANCELLED;
            p.done.completeExceptionally(new WriterFullException());
        }
        return new Ticket(p);
    }

    /** The number of the last write accepted so far. */
    public long lastSubmitted() {
        synchronized (submitLock) {
            return submitted;
        }
    }

    /** Runs a query once every write submitted before it is done (read your writes). Never blocks the caller. */
    public <T> CompletableFuture<T> read(Read<T> read) {
        return readAfter(lastSubmitted(), read);
    }

    /**
     * Runs a query on a reader thread once every write numbered up to {@code afterWrite} is done (0: at once),
     * whatever was queued after it. Never blocks the caller; the future completes on the reader thread.
     */
    public <T> CompletableFuture<T> readAfter(long afterWrite, Read<T> read) {
        CompletableFuture<T> done = new CompletableFuture<>();
        WaitingRead waiting = new WaitingRead(afterWrite, () -> readWithRetry(read, done));
        if (afterWrite > completed) {
            synchronized (waitingReads) {
                // Checked again under the lock the worker releases waiters with, so that none is missed.
                if (afterWrite > completed) {
                    waitingReads.add(waiting);
                    return done;
                }
            }
        }
        start(waiting);
        return done;
    }

    private record WaitingRead(long afterWrite, Runnable query) {
    }

    private void start(WaitingRead read) {
        try {
            readers.execute(read.query());
        } catch (RejectedExecutionException e) {
            read.query().run();
        }
    }

    /** Records that every write up to {@code number} is done and starts the reads that waited for it. */
    private void completedThrough(long number) {
        if (number <= completed) {
            return;
        }
        List<WaitingRead> ready = new ArrayList<>();
        synchronized (waitingReads) {
            completed = number;
            while (!waitingReads.isEmpty() && waitingReads.peek().afterWrite() <= number) {
                ready.add(waitingReads.poll());
            }
        }
        ready.forEach(this::start);
    }

    /** Whether publishers should pause: the queue is above 80% of its capacity. */
    public boolean saturated() {
        return queue.size() > capacity * 8 / 10;
    }

    /** Runs the callback once the queue has drained below half its capacity (at once if it already has). */
    public void whenDrained(Runnable callback) {
        drainedWaiters.add(callback);
        if (queue.size() < capacity / 2) {
            releaseWaiters();
        }
    }

    public boolean healthy() {
        return healthy;
    }

    public String lastError() {
        return lastError;
    }

    public int pending() {
        return queue.size();
    }

    public long committedWrites() {
        return committedWrites.get();
    }

    public long failedWrites() {
        return failedWrites.get();
    }

    /** Writes taken back before they reached the database (an INSERT whose DELETE came before it was written). */
    public long cancelledWrites() {
        return cancelledWrites.get();
    }

    private void run() {
        List<Pending> batch = new ArrayList<>(maxBatch);
        while (running || !queue.isEmpty()) {
            try {
                Pending first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                long last = first.number;
                if (first.take()) {
                    batch.add(first);
                } else {
                    cancelledWrites.incrementAndGet();
                }
                Pending next;
                while (batch.size() < maxBatch && (next = queue.poll()) != null) {
                    last = next.number;
                    if (next.take()) {
                        batch.add(next);
                    } else {
                        cancelledWrites.incrementAndGet();
                    }
                }
                if (!batch.isEmpty()) {
                    groupByStage(batch);
                    commitWithRetry(batch);
                    batch.clear();
                }
                completedThrough(last);
                if (queue.size() < capacity / 2) {
                    releaseWaiters();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Sorts each run of consecutive staged writes by stage, stably (see {@link Write#row}). */
    static void groupByStage(List<Pending> batch) {
        int n = batch.size();
        int i = 0;
        while (i < n) {
            if (batch.get(i).write.stage() < 0) {
                i++;
                continue;
            }
            int j = i + 1;
            while (j < n && batch.get(j).write.stage() >= 0) {
                j++;
            }
            if (j - i > 1) {
                batch.subList(i, j).sort(BY_STAGE);
            }
            i = j;
        }
    }

    private static final Comparator<Pending> BY_STAGE = Comparator.comparingInt(p -> p.write.stage());

    private void commitWithRetry(List<Pending> batch) throws InterruptedException {
        long backoff = 100;
        while (true) {
            try {
                execute(batch);
                healthy = true;
                committedWrites.addAndGet(batch.size());
                batch.forEach(p -> p.done.complete(null));
                return;
            } catch (SQLException e) {
                if (!isConnectionProblem(e)) {
                    // A write the database refuses for its own content must not block the ones behind it.
                    isolateFailures(batch);
                    return;
                }
                healthy = false;
                lastError = e.getMessage();
                LOG.warnf("database unavailable (%s), retrying %d writes in %d ms", e.getMessage(), batch.size(),
                        backoff);
                if (!running) {
                    batch.forEach(p -> p.done.completeExceptionally(e));
                    return;
                }
                Thread.sleep(backoff);
                backoff = Math.min(backoff * 2, 5000);
            }
        }
    }

    private <T> void readWithRetry(Read<T> read, CompletableFuture<T> done) {
        long backoff = 100;
        while (true) {
            try (Connection c = dataSource.getConnection()) {
                T result;
                try {
                    result = read.query(c);
                } catch (RuntimeException | AssertionError e) {
                    throw unexpected(c, e);
                }
                // A read that reaches the database proves it is back, as a commit would.
                healthy = true;
                done.complete(result);
                return;
            } catch (SQLException e) {
                if (!isConnectionProblem(e) || !running) {
                    done.completeExceptionally(e);
                    return;
                }
                healthy = false;
                lastError = e.getMessage();
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    done.completeExceptionally(interrupted);
                    return;
                }
                backoff = Math.min(backoff * 2, 5000);
            }
        }
    }

    private void isolateFailures(List<Pending> batch) {
        for (Pending p : batch) {
            try {
                execute(List.of(p));
                committedWrites.incrementAndGet();
                p.done.complete(null);
            } catch (SQLException e) {
                failedWrites.incrementAndGet();
                lastError = e.getMessage();
                LOG.errorf("database refused a write (%s): %s", p.write.sql(), e.getMessage());
                p.done.completeExceptionally(e);
            }
        }
    }

    private void execute(List<Pending> batch) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                PreparedStatement ps = null;
                String sql = null;
                for (Pending p : batch) {
                    if (!p.write.sql().equals(sql)) {
                        if (ps != null) {
                            ps.executeBatch();
                            ps.close();
                        }
                        sql = p.write.sql();
                        ps = c.prepareStatement(sql);
                    }
                    p.write.bind(ps);
                    ps.addBatch();
                }
                if (ps != null) {
                    ps.executeBatch();
                    ps.close();
                }
                c.commit();
            } catch (SQLException e) {
                rollback(c);
                throw e;
            } catch (RuntimeException | AssertionError e) {
                rollback(c);
                throw unexpected(c, e);
            }
        }
    }

    private static void rollback(Connection c) {
        try {
            c.rollback();
        } catch (SQLException | RuntimeException ignored) {
            // The connection is probably gone; the original error says why.
        }
    }

    /**
     * An unchecked failure from the driver or a binder, as a SQLException the retry logic understands: uncaught, it
     * would end the worker thread and with it every durable write. pgjdbc, for one, fails an assertion when the
     * connection dies during a batch. A connection that is no longer valid is retried like any connection problem;
     * on a sound connection the batch itself is at fault.
     */
    private static SQLException unexpected(Connection c, Throwable t) {
        boolean lost;
        try {
            lost = !c.isValid(2);
        } catch (SQLException | RuntimeException e) {
            lost = true;
        }
        return new SQLException(t.toString(), lost ? "08006" : "XX000", t);
    }

    private static boolean isConnectionProblem(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("08")) {
                return true;
            }
            if (t instanceof java.net.ConnectException || t instanceof java.io.IOException) {
                return true;
            }
        }
        // Agroal reports an exhausted or unreachable pool without a SQL state.
        return e.getSQLState() == null || e.getSQLState().startsWith("57P");
    }

    private void releaseWaiters() {
        Runnable r;
        while ((r = drainedWaiters.poll()) != null) {
            r.run();
        }
    }

    /** Stops taking writes and waits for the queued ones to commit. */
    @Override
    public void close() {
        running = false;
        try {
            worker.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Reads still waiting run now, against what was committed: no write will come after them.
        completedThrough(Long.MAX_VALUE);
        readers.shutdown();
    }

    /** The writer's queue is full: the caller must refuse or retry, not wait on an event loop. */
    public static final class WriterFullException extends RuntimeException {
        public WriterFullException() {
            super("database write queue is full", null, false, false);
        }
    }
}
