package io.conduit.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.Map;

/**
 * Points the gateway at the test run's Keycloak realm (one server for every class that uses it): the admin API's
 * OIDC tenant, and device tokens without clock skew so that expiry is testable in seconds.
 */
public class KeycloakResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        String realm = KeycloakServer.get().realmUrl();
        return Map.of(
                "quarkus.oidc.auth-server-url", realm,
                "conduit.security.keycloak.issuer", realm,
                "conduit.security.keycloak.clock-skew", "0s");
    }

    @Override
    public void stop() {
        // The server lives for the whole test JVM; a shutdown hook stops it.
    }
}
