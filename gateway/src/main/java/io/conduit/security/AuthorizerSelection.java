package io.conduit.security;

import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

/**
 * Which {@link Authorizer} the broker asks: the ACL rules, which answer as {@link AllowAllAuthorizer} while there is
 * no ACL file, no deny default and no rule made through the admin API (such a rule may come at any time). A default
 * bean: an application-provided Authorizer bean replaces it.
 */
@ApplicationScoped
public class AuthorizerSelection {

    @Produces
    @ApplicationScoped
    @DefaultBean
    Authorizer authorizer(AclAuthorizer acl) {
        return acl;
    }
}
