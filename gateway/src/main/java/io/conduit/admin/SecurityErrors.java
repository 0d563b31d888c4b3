package io.conduit.admin;

import io.quarkus.security.ForbiddenException;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.lang.reflect.Method;
import java.util.Map;
import java.util.TreeSet;

/** A 403 on the admin API says who was refused and which role the operation needs. */
public class SecurityErrors {

    @Inject
    SecurityIdentity identity;

    @ServerExceptionMapper
    Response forbidden(ForbiddenException e, ResourceInfo resource) {
        String needs = "";
        Method method = resource == null ? null : resource.getResourceMethod();
        RolesAllowed allowed = method == null ? null : method.getAnnotation(RolesAllowed.class);
        if (allowed == null && resource != null && resource.getResourceClass() != null) {
            allowed = resource.getResourceClass().getAnnotation(RolesAllowed.class);
        }
        if (allowed != null) {
            needs = ": it needs the role " + String.join(" or ", allowed.value());
        }
        String who = identity.isAnonymous() ? "anonymous"
                : "'" + identity.getPrincipal().getName() + "' (roles " + new TreeSet<>(identity.getRoles()) + ")";
        return Response.status(Response.Status.FORBIDDEN)
                .entity(Map.of("error", who + " may not do this" + needs))
                .type(MediaType.APPLICATION_JSON).build();
    }
}
