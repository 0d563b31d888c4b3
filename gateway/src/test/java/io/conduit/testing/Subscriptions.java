package io.conduit.testing;

import io.conduit.routing.Router;

import java.time.Duration;

import static org.awaitility.Awaitility.await;

/** Waits until the broker routes a topic to a client, for external clients that do not say when SUBACK arrived. */
public final class Subscriptions {

    private Subscriptions() {
    }

    /**
     * Returns once a message published to {@code topic} would reach {@code clientId}; fails when the process exits
     * first or 10 s pass. Use a topic no shared subscription matches (matching one would pick a member).
     */
    public static void awaitRouted(Router router, String clientId, String topic, ExternalProcess client) {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
            if (!client.isAlive()) {
                throw new AssertionError("client exited before subscribing\nstdout: " + client.stdout()
                        + "\nstderr: " + client.stderr());
            }
            return router.tree().match(topic, null).stream()
                    .anyMatch(t -> t.subscriber().clientId().equals(clientId));
        });
    }
}
