package io.conduit.admin;

import io.conduit.config.ConduitConfig;
import io.conduit.routing.Topics;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.conduit.security.AclAuthorizer;
import io.conduit.security.AclRuleStore;
import io.conduit.security.AclRules;
import io.conduit.security.AclRules.Action;
import io.conduit.security.AclRules.Decision;
import io.conduit.security.AclRules.Rule;
import io.conduit.security.Authorizer;
import io.conduit.security.Device;
import io.conduit.security.Devices;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * The topic ACL in force, and why a client may or may not publish or subscribe somewhere; and the rules made
 * through the API ({@code /rules}), which follow the ACL file's. The file's rules are read-only here.
 */
@Path("/api/v1/acl")
@Produces(MediaType.APPLICATION_JSON)
public class AclResource {

    @Inject
    AclAuthorizer acl;

    @Inject
    ConduitConfig config;

    @Inject
    Devices devices;

    @Inject
    ObjectMapper json;

    private static final int MAX_DESCRIPTION = 1024;
    private static final Set<String> RULE_FIELDS = Set.of("effect", "actions", "topic", "to", "maxQos",
            "description", "position");

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
        out.put("rules", describeAll(state));
        return out;
    }

    /** Every rule in force, in the order they are tried: the file's, then the API's. */
    @GET
    @Path("rules")
    @RolesAllowed({"conduit-admin", "conduit-viewer"})
    public List<Map<String, Object>> list() {
        return describeAll(acl.state());
    }

    /** One rule: an API rule by its number, a file rule as {@code file-LINE}. */
    @GET
    @Path("rules/{id}")
    @RolesAllowed({"conduit-admin", "conduit-viewer"})
    public Map<String, Object> get(@PathParam("id") String id) {
        AclAuthorizer.State state = acl.state();
        List<Rule> all = state.rules().rules();
        for (int i = 0; i < all.size(); i++) {
            if (ref(all.get(i)).equals(id)) {
                return describe(all.get(i), i + 1, state);
            }
        }
        throw new NoSuchElementException("no ACL rule " + id);
    }

    /** A new API rule: last, or at {@code position} among the API rules. */
    @POST
    @Path("rules")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed("conduit-admin")
    public Response create(String body) {
        Map<String, Object> in = JsonBody.object(json, body, RULE_FIELDS);
        AclRuleStore.Stored created = acl.createRule(rule(in), JsonBody.string(in, "description"),
                position(in));
        return Response.created(URI.create("/api/v1/acl/rules/" + created.id())).entity(get(ref(created.rule())))
                .build();
    }

    /**
     * Replaces an API rule (effect, actions and topic required, as for a new one), and/or moves it: a body with
     * {@code position} alone only moves it.
     */
    @PUT
    @Path("rules/{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed("conduit-admin")
    public Response update(@PathParam("id") String id, String body) {
        long ruleId = apiId(id);
        Map<String, Object> in = JsonBody.object(json, body, RULE_FIELDS);
        boolean moveOnly = in.keySet().equals(Set.of("position"));
        if (moveOnly && in.get("position") == null) {
            throw new IllegalArgumentException("position must be a number");
        }
        acl.updateRule(ruleId, moveOnly ? null : rule(in), JsonBody.string(in, "description"), position(in));
        return Response.ok(get(id)).build();
    }

    @DELETE
    @Path("rules/{id}")
    @RolesAllowed("conduit-admin")
    public Response delete(@PathParam("id") String id) {
        if (!acl.deleteRule(apiId(id))) {
            throw new NoSuchElementException("no ACL rule " + id);
        }
        return Response.noContent().build();
    }

    /** The id of an API rule; a file rule's id is refused as read-only. */
    private long apiId(String id) {
        if (id.startsWith("file-")) {
            get(id);
            throw new ReadOnlyRuleException("ACL rule " + id + " comes from the ACL file "
                    + acl.file().map(Object::toString).orElse("") + ": change it there");
        }
        try {
            return Long.parseLong(id);
        } catch (NumberFormatException e) {
            throw new NoSuchElementException("no ACL rule " + id);
        }
    }

    /** The rule of a request body, validated as a rule of the ACL file. */
    private static Rule rule(Map<String, Object> in) {
        String description = JsonBody.string(in, "description");
        if (description != null && description.length() > MAX_DESCRIPTION) {
            throw new IllegalArgumentException("description must be at most " + MAX_DESCRIPTION + " characters");
        }
        Object effect = in.get("effect");
        if (!"allow".equals(effect) && !"deny".equals(effect)) {
            throw new IllegalArgumentException("effect must be allow or deny");
        }
        Object maxQos = in.get("maxQos");
        if (maxQos != null && !(maxQos instanceof Integer)) {
            throw new IllegalArgumentException("maxQos must be 0, 1 or 2");
        }
        return AclRules.apiRule(effect.equals("allow"), oneOrMore(in, "actions"), JsonBody.string(in, "topic"),
                oneOrMore(in, "to"), maxQos);
    }

    /** A list of strings, or one string as a list of one. */
    private static List<String> oneOrMore(Map<String, Object> in, String key) {
        return in.get(key) instanceof String s ? List.of(s) : JsonBody.strings(in, key);
    }

    private static Integer position(Map<String, Object> in) {
        Object p = in.get("position");
        if (p != null && !(p instanceof Integer)) {
            throw new IllegalArgumentException("position must be a number");
        }
        return (Integer) p;
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
        out.put("rule", d.rule() == null ? null : describe(d.rule(), rules.rules().indexOf(d.rule()) + 1,
                acl.state()));
        out.put("reason", d.reason());
        out.put("aclActive", acl.active());
        out.put("deviceGroups", groups.stream().sorted().toList());
        return out;
    }

    private static List<Map<String, Object>> describeAll(AclAuthorizer.State state) {
        List<Rule> all = state.rules().rules();
        List<Map<String, Object>> out = new ArrayList<>(all.size());
        for (int i = 0; i < all.size(); i++) {
            out.add(describe(all.get(i), i + 1, state));
        }
        return out;
    }

    /** How the API names a rule: its number for an API rule, {@code file-LINE} for a file rule. */
    private static String ref(Rule r) {
        return r.id() == null ? "file-" + r.line() : String.valueOf(r.id());
    }

    /** @param order the rule's place among all rules in force (1 = tried first) */
    private static Map<String, Object> describe(Rule r, int order, AclAuthorizer.State state) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id() == null ? ref(r) : r.id());
        m.put("source", r.source());
        m.put("order", order);
        AclRuleStore.Stored stored = r.id() == null ? null : state.api().get(r.id());
        if (stored == null) {
            m.put("line", r.line());
        } else {
            m.put("position", stored.position());
        }
        m.put("text", r.text());
        m.put("effect", r.allow() ? "allow" : "deny");
        m.put("actions", r.actions().stream().map(Action::id).toList());
        m.put("topic", r.topic());
        m.put("to", List.copyOf(r.to()));
        m.put("maxQos", r.maxQos());
        if (stored != null) {
            m.put("description", stored.description());
            m.put("createdAt", stored.createdAt().toString());
            m.put("updatedAt", stored.updatedAt().toString());
        }
        return m;
    }

    /** A change asked of a rule of the ACL file. */
    static final class ReadOnlyRuleException extends RuntimeException {
        ReadOnlyRuleException(String message) {
            super(message);
        }
    }

    @ServerExceptionMapper
    Response notFound(NoSuchElementException e) {
        return AdminErrors.error(404, e.getMessage());
    }

    @ServerExceptionMapper
    Response readOnly(ReadOnlyRuleException e) {
        return AdminErrors.error(409, e.getMessage());
    }

    @ServerExceptionMapper
    Response tooMany(AclAuthorizer.RuleLimitException e) {
        return AdminErrors.error(409, e.getMessage());
    }
}
