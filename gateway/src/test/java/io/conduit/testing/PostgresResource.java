package io.conduit.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.Map;

/** Points the gateway at the test run's PostgreSQL, so the durable stores replace the in-memory ones. */
public class PostgresResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        EmbeddedPostgres pg = EmbeddedPostgres.get();
        return Map.of(
                "quarkus.datasource.jdbc.url", pg.jdbcUrl(),
                "quarkus.datasource.username", EmbeddedPostgres.USER,
                "quarkus.datasource.password", "");
    }

    @Override
    public void stop() {
        // The server lives for the whole test JVM; a shutdown hook removes it.
    }
}
