package io.conduit.persistence;

import io.agroal.api.AgroalDataSource;
import io.conduit.config.ConduitConfig;
import io.conduit.routing.InMemoryRetainedStore;
import io.conduit.routing.RetainedStore;
import io.conduit.security.AclRuleStore;
import io.conduit.security.DeviceRegistry;
import io.conduit.security.InMemoryAclRuleStore;
import io.conduit.security.InMemoryDeviceRegistry;
import io.conduit.session.SessionStore;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.concurrent.EventExecutor;
import io.quarkus.runtime.ShutdownEvent;
import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxInternal;
import jakarta.annotation.Priority;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import java.sql.SQLException;
import java.util.concurrent.TimeUnit;

/**
 * Chooses the stores behind the core's persistence seams: PostgreSQL when a datasource URL is configured
 * ({@code QUARKUS_DATASOURCE_JDBC_URL}) and {@code conduit.persistence.store} is not {@code memory}; memory
 * otherwise.
 */
@ApplicationScoped
public class StoreProducers {

    private static final Logger LOG = Logger.getLogger(StoreProducers.class);

    @Inject
    ConduitConfig config;

    @Inject
    Instance<AgroalDataSource> dataSource;

    @Inject
    MeterRegistry meters;

    @Inject
    Vertx vertx;

    private BatchWriter writer;

    /** Whether durable state goes to PostgreSQL. */
    public boolean usesDatabase() {
        String store = config.persistence().store();
        if ("memory".equals(store)) {
            return false;
        }
        boolean configured = ConfigProvider.getConfig()
                .getOptionalValue("quarkus.datasource.jdbc.url", String.class).isPresent();
        if ("postgresql".equals(store) && !configured) {
            throw new IllegalStateException("conduit.persistence.store=postgresql needs quarkus.datasource.jdbc.url");
        }
        return configured;
    }

    /** The shared writer, or null in memory mode. */
    public synchronized BatchWriter writer() {
        if (writer == null && usesDatabase()) {
            ConduitConfig.Persistence p = config.persistence();
            writer = new BatchWriter(dataSource.get(), p.writeQueueCapacity(), p.maxBatch());
            Gauge.builder("conduit.persistence.pending", writer, BatchWriter::pending)
                    .description("writes waiting for the database").register(meters);
            FunctionCounter.builder("conduit.persistence.committed", writer, BatchWriter::committedWrites)
                    .description("writes committed to the database").register(meters);
            FunctionCounter.builder("conduit.persistence.failed", writer, BatchWriter::failedWrites)
                    .description("writes the database refused").register(meters);
            FunctionCounter.builder("conduit.persistence.cancelled", writer, BatchWriter::cancelledWrites)
                    .description("writes made moot before they reached the database (a message acknowledged "
                            + "before its INSERT was written)").register(meters);
            Gauge.builder("conduit.persistence.up", writer, w -> w.healthy() ? 1 : 0)
                    .description("1 while the database accepts writes").register(meters);
        }
        return writer;
    }

    @Produces
    @ApplicationScoped
    RetainedStore retainedStore() throws SQLException {
        if (!usesDatabase()) {
            LOG.info("no database configured: sessions and retained messages are kept in memory only");
            return new InMemoryRetainedStore();
        }
        LOG.info("durable state in PostgreSQL");
        return new PostgresRetainedStore(dataSource.get(), writer());
    }

    @Produces
    @ApplicationScoped
    SessionStore sessionStore() {
        if (!usesDatabase()) {
            return SessionStore.MEMORY;
        }
        return new PostgresSessionStore(writer(), config.persistence().memoryWindow());
    }

    @Produces
    @ApplicationScoped
    DeviceRegistry deviceRegistry(Instance<DeviceRepository> repository) {
        if (!usesDatabase()) {
            return new InMemoryDeviceRegistry();
        }
        return new PostgresDeviceRegistry(repository.get());
    }

    @Produces
    @ApplicationScoped
    AclRuleStore aclRuleStore(Instance<AclRuleRepository> repository) {
        if (!usesDatabase()) {
            return new InMemoryAclRuleStore();
        }
        return new PostgresAclRuleStore(repository.get());
    }

    /**
     * Commits the last writes before Quarkus closes the datasource, which it does before beans are destroyed. Runs
     * after the MQTT listeners closed every connection (their observer has the default priority); each connection's
     * close handler, which stores its session's disconnect time and delayed will, runs as a task on its event loop,
     * so one empty task per event loop waits for them.
     */
    void drainOnShutdown(@Observes @Priority(Integer.MAX_VALUE) ShutdownEvent event) {
        if (writer() == null) {
            return;
        }
        for (EventExecutor loop : ((VertxInternal) vertx).getEventLoopGroup()) {
            loop.submit(() -> { }).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        close();
    }

    @PreDestroy
    synchronized void close() {
        if (writer != null) {
            writer.close();
        }
    }
}
