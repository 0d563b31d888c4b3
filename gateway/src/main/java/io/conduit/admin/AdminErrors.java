package io.conduit.admin;

import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.Map;

/**
 * How the REST API answers bad input and missing things: a status with a JSON {@code error}. Global; a resource's own
 * mapper takes precedence.
 */
public class AdminErrors {

    @ServerExceptionMapper
    Response badRequest(IllegalArgumentException e) {
        return error(400, e.getMessage());
    }

    @ServerExceptionMapper
    Response notFound(NotFoundException e) {
        return error(404, e.getMessage());
    }

    /** A status with a JSON {@code error}, for the resources' own mappers too. */
    static Response error(int status, String message) {
        return Response.status(status).entity(Map.of("error", message)).type(MediaType.APPLICATION_JSON).build();
    }
}
