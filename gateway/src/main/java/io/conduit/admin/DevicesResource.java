package io.conduit.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.conduit.security.Device;
import io.conduit.security.DeviceRegistry;
import io.conduit.security.Devices;
import io.conduit.security.DuplicateDeviceException;
import io.conduit.security.PasswordHashing;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * The device registry: list, read, create, change and delete devices. Passwords go in, never out: responses say
 * whether a device has a password, not its hash. Devices from the ACL file ({@code source: file}) are read-only here.
 */
@Path("/api/v1/devices")
@Produces(MediaType.APPLICATION_JSON)
public class DevicesResource {

    private static final int MAX_LIMIT = 1000;
    private static final Set<String> CREATE_FIELDS = Set.of("clientId", "username", "password", "enabled", "groups",
            "metadata");
    private static final Set<String> UPDATE_FIELDS = Set.of("password", "enabled", "groups", "metadata");

    @Inject
    Devices devices;

    @Inject
    PasswordHashing hashing;

    @Inject
    ObjectMapper json;

    @GET
    @RolesAllowed({"conduit-admin", "conduit-viewer"})
    public Map<String, Object> list(@QueryParam("username") String username, @QueryParam("clientId") String clientId,
                                    @QueryParam("group") String group, @QueryParam("offset") String offset,
                                    @QueryParam("limit") String limit) {
        int from = number(offset, "offset", 0, Integer.MAX_VALUE, 0);
        int size = number(limit, "limit", 1, MAX_LIMIT, 100);
        DeviceRegistry.Page page = devices.list(new DeviceRegistry.Query(blankToNull(username),
                blankToNull(clientId), blankToNull(group), from, size));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("items", page.items().stream().map(DevicesResource::view).toList());
        out.put("total", page.total());
        out.put("offset", from);
        out.put("limit", size);
        return out;
    }

    @GET
    @Path("{id}")
    @RolesAllowed({"conduit-admin", "conduit-viewer"})
    public Map<String, Object> get(@PathParam("id") String id) {
        return view(devices.get(id(id)).orElseThrow(() -> new NoSuchElementException("no device " + id)));
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed("conduit-admin")
    public Response create(String body) {
        Map<String, Object> in = JsonBody.object(json, body, CREATE_FIELDS);
        Device d = devices.create(new Devices.NewDevice(JsonBody.string(in, "clientId"),
                JsonBody.string(in, "username"), JsonBody.string(in, "password"), JsonBody.bool(in, "enabled"),
                JsonBody.strings(in, "groups"), JsonBody.map(in, "metadata")));
        return Response.created(URI.create("/api/v1/devices/" + d.id())).entity(view(d)).build();
    }

    @PATCH
    @Path("{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed("conduit-admin")
    public Map<String, Object> update(@PathParam("id") String id, String body) {
        long deviceId = id(id);
        Map<String, Object> in = JsonBody.object(json, body, UPDATE_FIELDS);
        return view(devices.update(deviceId, new Devices.Changes(JsonBody.bool(in, "enabled"),
                JsonBody.strings(in, "groups"), JsonBody.map(in, "metadata"), JsonBody.string(in, "password"))));
    }

    @DELETE
    @Path("{id}")
    @RolesAllowed("conduit-admin")
    public Response delete(@PathParam("id") String id) {
        devices.delete(id(id));
        return Response.noContent().build();
    }

    /** A bcrypt hash of a password, for the {@code devices:} section of the ACL file. Stores nothing. */
    @POST
    @Path("password-hash")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed("conduit-admin")
    public Map<String, Object> passwordHash(String body) {
        String password = JsonBody.string(JsonBody.object(json, body, Set.of("password")), "password");
        PasswordHashing.checkPassword(password);
        return Map.of("passwordHash", hashing.hash(password));
    }

    static Map<String, Object> view(Device d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", d.id());
        m.put("clientId", d.clientId());
        m.put("username", d.username());
        m.put("hasPassword", d.hasPassword());
        m.put("scram", d.scram() != null);
        m.put("enabled", d.enabled());
        m.put("groups", d.groups());
        m.put("metadata", d.metadata());
        m.put("createdAt", d.createdAt() == null ? null : d.createdAt().toString());
        m.put("lastSeenAt", d.lastSeenAt() == null ? null : d.lastSeenAt().toString());
        m.put("source", d.source().id());
        return m;
    }

    // ---- input ----------------------------------------------------------------------------------------------------

    private static long id(String id) {
        try {
            return Long.parseLong(id);
        } catch (NumberFormatException e) {
            throw new NoSuchElementException("no device " + id);
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    private static int number(String value, String name, int min, int max, int fallback) {
        if (value == null || value.isEmpty()) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(value);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // below
        }
        throw new IllegalArgumentException(name + " must be a number from " + min + " to " + max);
    }

    // ---- errors ---------------------------------------------------------------------------------------------------

    @ServerExceptionMapper
    Response badRequest(IllegalArgumentException e) {
        return AdminErrors.error(400, e.getMessage());
    }

    @ServerExceptionMapper
    Response notFound(NoSuchElementException e) {
        return AdminErrors.error(404, e.getMessage());
    }

    @ServerExceptionMapper
    Response duplicate(DuplicateDeviceException e) {
        return AdminErrors.error(409, e.getMessage());
    }

    @ServerExceptionMapper
    Response readOnly(Devices.ReadOnlyDeviceException e) {
        return AdminErrors.error(409, e.getMessage());
    }
}
