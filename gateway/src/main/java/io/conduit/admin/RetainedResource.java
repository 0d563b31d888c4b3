package io.conduit.admin;

import io.conduit.config.ConduitConfig;
import io.conduit.routing.Message;
import io.conduit.routing.RetainedStore;
import io.conduit.routing.Topics;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;

/**
 * Retained messages, through the core's {@link RetainedStore} (PostgreSQL or memory alike): list them by topic
 * filter, and delete one, which is the same as a retained publish with an empty payload minus the delivery.
 */
@Path("/api/v1/retained")
@Produces(MediaType.APPLICATION_JSON)
public class RetainedResource {

    @Inject
    RetainedStore retained;

    @Inject
    ConduitConfig config;

    /**
     * A retained message. The payload is text when it is valid UTF-8 ({@code encoding} "utf-8"), base64 otherwise;
     * {@code expiresIn} is the seconds left, null when it never expires.
     */
    public record RetainedView(String topic, int qos, String payload, String encoding, int payloadSize,
                               String publisherId, String contentType, Long expiresIn) {
    }

    /**
     * Retained messages whose topics match an MQTT topic filter ({@code #} by default, which leaves out {@code $}
     * topics as a subscription would), ordered by topic.
     */
    @GET
    @RolesAllowed({"conduit-admin", "conduit-viewer"})
    public Page<RetainedView> list(@QueryParam("filter") @DefaultValue("#") String filter,
                                   @QueryParam("offset") @DefaultValue("0") int offset,
                                   @QueryParam("limit") @DefaultValue("100") int limit) {
        if (!Topics.isValidFilter(filter, config.mqtt().limits().maxTopicLevels()) || Topics.isShared(filter)) {
            throw new IllegalArgumentException("not a valid topic filter: " + filter);
        }
        List<Message> all = retained.match(filter).stream().sorted(Comparator.comparing(Message::topic)).toList();
        Page<Message> page = Page.of(all, offset, limit);
        long now = System.nanoTime();
        return new Page<>(page.total(), offset, limit, page.items().stream().map(m -> view(m, now)).toList());
    }

    /** Deletes the retained message of one topic (a topic name, no wildcards): 204, or 404 when there is none. */
    @DELETE
    @RolesAllowed("conduit-admin")
    public Response delete(@QueryParam("topic") String topic) {
        if (topic == null || !Topics.isValidName(topic, config.mqtt().limits().maxTopicLevels())) {
            throw new IllegalArgumentException("topic must be a topic name without wildcards");
        }
        if (retained.match(topic).isEmpty()) {
            throw new NotFoundException("no retained message on " + topic);
        }
        retained.put(Message.of(topic, new byte[0], 0, true));
        return Response.noContent().build();
    }

    private static RetainedView view(Message m, long now) {
        String text = utf8(m.payload());
        return new RetainedView(m.topic(), m.qos(), text != null ? text : Base64.getEncoder().encodeToString(m.payload()),
                text != null ? "utf-8" : "base64", m.payload().length, m.publisherId(), m.contentType(),
                m.expires() ? Math.max(0, m.remainingExpiry(now)) : null);
    }

    private static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
