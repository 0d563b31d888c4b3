package io.conduit.admin;

import io.quarkus.oidc.OidcRequestContext;
import io.quarkus.oidc.OidcTenantConfig;
import io.quarkus.oidc.TenantConfigResolver;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Makes Keycloak optional. quarkus-oidc refuses to start when its default tenant has no
 * {@code quarkus.oidc.auth-server-url}, unless a {@link TenantConfigResolver} exists: then it leaves that tenant
 * off. This resolver exists for that alone; it resolves nothing, so every request uses the default tenant, which is
 * Keycloak when {@code QUARKUS_OIDC_AUTH_SERVER_URL} is set and off otherwise.
 */
@ApplicationScoped
public class OptionalKeycloak implements TenantConfigResolver {

    @Override
    public Uni<OidcTenantConfig> resolve(RoutingContext context, OidcRequestContext<OidcTenantConfig> requestContext) {
        return Uni.createFrom().nullItem();
    }
}
