package io.conduit.admin;

import io.conduit.config.ConduitConfig;
import io.conduit.routing.Topics;
import io.conduit.security.AclAuthorizer;
import io.conduit.security.AclRules;
import io.conduit.security.AclRules.Action;
import io.conduit.security.AclRules.Decision;
import io.conduit.security.AclRules.Rule;
import io.conduit.security.Authorizer;
import io.conduit.security.Device;
import io.conduit.security.Devices;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The topic ACL in force, and why a client may or may not publish or subscribe somewhere; read only. */
@Path("/api/v1/acl")
@Produces(MediaType.APPLICATION_JSON)
public class AclResource {

    @Inject
    AclAuthorizer acl;

    @Inject
    ConduitConfig config;

    @Inject
    Devices devices;

    /** The rules as loaded, with their file lines, the groups and the default. */
    @GET
    @RolesAllowed({"conduit-admin", "conduit-viewer"})
    public Map<String, Object> rules() {
        AclAuthorizer.State state = acl.state();
        AclRules rules = state.rules();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("active", acl.active());
        out.put("file", acl.file().map(Object::toString).orElse(null));
        out.put("loadedAt", state.loadedAt().toString());
        out.put("lastError", acl.lastError());
        out.put("default", rules.defaultAllow() ? "allow" : "deny");
        out.put("defaultSource", rules.defaultSource());
        out.put("groups", rules.groups());
        out.put("rules", rules.rules().stream().map(AclResource::describe).toList());
        return out;
    }

    /**
     * The decision for one client and topic, as the broker would take it. {@code action=retain} is a publish with
     * RETAIN set: publish and retain must both be allowed.
     */
    @GET
    @RolesAllowed({"conduit-admin", "conduit-viewer"})
    @Path("explain")
    public Map<String, Object> explain(@QueryParam("client") String client, @QueryParam("username") String username,
                                       @QueryParam("topic") String topic, @QueryParam("action") String action,
                                       @QueryParam("qos") String qos) {
        if (client == null || client.isEmpty()) {
            throw new IllegalArgumentException("client is required");
        }
        if (topic == null || topic.isEmpty()) {
            throw new IllegalArgumentException("topic is required");
        }
        if (action == null) {
            throw new IllegalArgumentException("action is required: publish, subscribe or retain");
        }
        Action a = Action.parse(action).orElseThrow(() -> new IllegalArgumentException(
                "action must be publish, subscribe or retain, not '" + action + "'"));
        int q;
        if (qos == null || qos.isEmpty()) {
            q = 0;
        } else if (qos.matches("[012]")) {
            q = Integer.parseInt(qos);
        } else {
            throw new IllegalArgumentException("qos must be 0, 1 or 2, not '" + qos + "'");
        }
        int maxLevels = config.mqtt().limits().maxTopicLevels();
        if (a == Action.SUBSCRIBE) {
            String filter = topic;
            if (Topics.isShared(topic)) {
                Topics.SharedFilter shared = Topics.parseShared(topic);
                if (shared == null) {
                    throw new IllegalArgumentException("invalid shared subscription '" + topic + "'");
                }
                filter = shared.filter();
            }
            if (!Topics.isValidFilter(filter, maxLevels)) {
                throw new IllegalArgumentException("invalid topic filter '" + topic + "'");
            }
        } else if (!Topics.isValidName(topic, maxLevels)) {
            throw new IllegalArgumentException("invalid topic name '" + topic + "' (publish topics have no wildcards)");
        }
        String user = username == null || username.isEmpty() ? null : username;
        // A registered device is in its groups; group rules apply to it as they would once it authenticated.
        Device device = devices.forLogin(user, client);
        Set<String> groups = device == null ? Set.of() : Set.copyOf(device.groups());
        Authorizer.ClientIdentity identity = new Authorizer.ClientIdentity(client, user, groups);
        AclRules rules = acl.state().rules();
        Decision d = a == Action.RETAIN ? rules.decidePublish(identity, topic, q, true)
                : rules.decide(identity, a, topic, q);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("decision", d.allowed() ? "allow" : "deny");
        out.put("rule", d.rule() == null ? null : describe(d.rule()));
        out.put("reason", d.reason());
        out.put("aclActive", acl.active());
        out.put("deviceGroups", groups.stream().sorted().toList());
        return out;
    }

    private static Map<String, Object> describe(Rule r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("line", r.line());
        m.put("text", r.text());
        m.put("effect", r.allow() ? "allow" : "deny");
        m.put("actions", r.actions().stream().map(Action::id).toList());
        m.put("topic", r.topic());
        m.put("to", List.copyOf(r.to()));
        m.put("maxQos", r.maxQos());
        return m;
    }

    @ServerExceptionMapper
    Response badRequest(IllegalArgumentException e) {
        return Response.status(400).entity(Map.of("error", e.getMessage())).type(MediaType.APPLICATION_JSON).build();
    }
}
