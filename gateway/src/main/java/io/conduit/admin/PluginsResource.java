package io.conduit.admin;

import io.conduit.plugin.PluginHost;
import io.conduit.plugin.PluginInfo;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.Collection;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * The plugins: their state and counters, and enabling, disabling, reloading or unloading one at runtime. Reading
 * needs conduit-viewer or conduit-admin, changing conduit-admin.
 */
@Path("/api/v1/plugins")
@Produces(MediaType.APPLICATION_JSON)
public class PluginsResource {

    @Inject
    PluginHost host;

    @GET
    @RolesAllowed({"conduit-admin", "conduit-viewer"})
    public Collection<PluginInfo> list() {
        return host.list();
    }

    @GET
    @RolesAllowed({"conduit-admin", "conduit-viewer"})
    @Path("{id}")
    public PluginInfo get(@PathParam("id") String id) {
        return host.get(id);
    }

    @POST
    @RolesAllowed("conduit-admin")
    @Path("{id}/disable")
    public PluginInfo disable(@PathParam("id") String id) {
        return host.disable(id);
    }

    @POST
    @RolesAllowed("conduit-admin")
    @Path("{id}/enable")
    public PluginInfo enable(@PathParam("id") String id) throws Exception {
        return host.enable(id);
    }

    /** Loads the plugin's jar again (a replaced jar takes effect). */
    @POST
    @RolesAllowed("conduit-admin")
    @Path("{id}/reload")
    public PluginInfo reload(@PathParam("id") String id) throws Exception {
        return host.reload(id);
    }

    /** Stops and unloads the plugin until its jar is loaded again. */
    @DELETE
    @RolesAllowed("conduit-admin")
    @Path("{id}")
    public Response unload(@PathParam("id") String id) {
        if (!host.unload(id)) {
            throw new NoSuchElementException("no plugin " + id);
        }
        return Response.noContent().build();
    }

    @ServerExceptionMapper
    Response notFound(NoSuchElementException e) {
        return Response.status(404).entity(Map.of("error", e.getMessage())).type(MediaType.APPLICATION_JSON).build();
    }

    @ServerExceptionMapper
    Response badPlugin(IllegalArgumentException e) {
        return Response.status(400).entity(Map.of("error", e.getMessage())).type(MediaType.APPLICATION_JSON).build();
    }
}
