package io.conduit.testing;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.List;
import java.util.Map;

/**
 * A gateway on the test run's Keycloak (admin API tokens and device tokens) and PostgreSQL, with the local admin
 * account kept beside Keycloak. The test classes using it share one gateway when they run one after the other.
 */
public class KeycloakProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("conduit.security.local-admin", "true");
    }

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(KeycloakResource.class), new TestResourceEntry(PostgresResource.class));
    }
}
