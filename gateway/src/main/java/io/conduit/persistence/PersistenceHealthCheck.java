package io.conduit.persistence;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready while durable writes reach the database. While it is down the broker still serves clean sessions and QoS 0,
 * but a load balancer should prefer a node that can keep its promises.
 */
@Readiness
@ApplicationScoped
public class PersistenceHealthCheck implements HealthCheck {

    @Inject
    StoreProducers stores;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("conduit-persistence");
        BatchWriter writer = stores.writer();
        if (writer == null) {
            return b.up().withData("store", "memory").build();
        }
        b.withData("store", "postgresql").withData("pending", writer.pending());
        if (writer.healthy()) {
            return b.up().build();
        }
        return b.down().withData("error", String.valueOf(writer.lastError())).build();
    }
}
