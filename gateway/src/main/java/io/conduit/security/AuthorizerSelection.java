package io.conduit.security;

import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

/**
 * Which {@link Authorizer} the broker asks: the ACL rules when an ACL file is configured (or the ACL default is
 * deny), {@link AllowAllAuthorizer} otherwise. A default bean: an application-provided Authorizer bean replaces it.
 */
@ApplicationScoped
public class AuthorizerSelection {

    @Produces
    @ApplicationScoped
    @DefaultBean
    Authorizer authorizer(AclAuthorizer acl) {
        return acl.active() ? acl : new AllowAllAuthorizer();
    }
}
