package io.conduit.security;

import io.conduit.routing.Topics;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Topic ACL rules as loaded from a YAML file, and their evaluation. Immutable; pure (no I/O but parsing a string),
 * so that it can be unit tested and swapped atomically on reload.
 *
 * <pre>
 * default: deny                  # optional: allow | deny
 * groups:
 *   sensors: [client:d1, user:alice]
 * rules:                         # first match wins, in file order
 *   - deny: subscribe
 *     topic: test/nosubscribe
 *   - allow: [publish, subscribe]
 *     topic: devices/%c/#        # %c client id, %u username
 *     to: all                    # all | client:ID | user:NAME | group:NAME, or a list
 *     max-qos: 1
 * </pre>
 */
public final class AclRules {

    /** What a rule grants or refuses. {@code all} in the file means all three. */
    public enum Action {
        PUBLISH, SUBSCRIBE, RETAIN;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Optional<Action> parse(String s) {
            for (Action a : values()) {
                if (a.id().equals(s)) {
                    return Optional.of(a);
                }
            }
            return Optional.empty();
        }
    }

    /**
     * One rule: from the file, with the 1-based line it starts on ({@code id} null), or from the admin API, with its
     * id ({@code line} 0).
     */
    public record Rule(int line, boolean allow, Set<Action> actions, String topic, List<String> to, Integer maxQos,
                       Long id) {

        public Rule(int line, boolean allow, Set<Action> actions, String topic, List<String> to, Integer maxQos) {
            this(line, allow, actions, topic, to, maxQos, null);
        }

        /** {@code file} or {@code api}. */
        public String source() {
            return id == null ? "file" : "api";
        }

        /** Where the rule is, for reasons: {@code at line 4} or {@code api rule 7}. */
        public String where() {
            return id == null ? "at line " + line : "api rule " + id;
        }

        /** The same rule with an id given by the admin API's store. */
        public Rule withId(long newId) {
            return new Rule(0, allow, actions, topic, to, maxQos, newId);
        }

        /** The rule as one line: {@code allow publish,subscribe devices/%c/# to all qos<=1}. */
        public String text() {
            StringBuilder b = new StringBuilder(allow ? "allow " : "deny ");
            b.append(actions.size() == 3 ? "all" : String.join(",", actions.stream().map(Action::id).toList()));
            b.append(' ').append(topic).append(" to ").append(String.join(",", to));
            if (maxQos != null) {
                b.append(" qos<=").append(maxQos);
            }
            return b.toString();
        }

        boolean usesClientId() {
            return topic.contains("%c");
        }

        boolean usesUsername() {
            return topic.contains("%u");
        }
    }

    /** An answer, with the rule that decided it (null for the default or a built-in rule) and why. */
    public record Decision(boolean allowed, Rule rule, String reason) {
    }

    private final List<Rule> rules;
    private final Map<String, List<String>> groups;
    private final boolean defaultAllow;
    private final String defaultSource;
    private final List<DeviceSpec> devices;

    private AclRules(List<Rule> rules, Map<String, List<String>> groups, boolean defaultAllow, String defaultSource,
                     List<DeviceSpec> devices) {
        this.devices = List.copyOf(devices);
        this.rules = List.copyOf(rules);
        this.groups = Collections.unmodifiableMap(groups);
        this.defaultAllow = defaultAllow;
        this.defaultSource = defaultSource;
    }

    public List<Rule> rules() {
        return rules;
    }

    public Map<String, List<String>> groups() {
        return groups;
    }

    public boolean defaultAllow() {
        return defaultAllow;
    }

    /** Where the default came from: {@code file}, {@code config} or {@code built-in}. */
    /** The file's {@code devices:}, for the device registry (source {@code file}). */
    public List<DeviceSpec> devices() {
        return devices;
    }

    public String defaultSource() {
        return defaultSource;
    }

    /**
     * Parses an ACL file. {@code configuredDefault} (allow/deny) applies when the file has no {@code default:}; with
     * neither, the default is deny.
     *
     * @throws IllegalArgumentException with the line number when the file is not a valid ACL file
     */
    public static AclRules parse(String yaml, Optional<Boolean> configuredDefault) {
        Node root;
        try {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).compose(new StringReader(yaml));
        } catch (MarkedYAMLException e) {
            throw new IllegalArgumentException("line " + (e.getProblemMark().getLine() + 1) + ": " + e.getProblem());
        } catch (YAMLException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        Boolean fileDefault = null;
        Map<String, List<String>> groups = new LinkedHashMap<>();
        List<Rule> rules = new ArrayList<>();
        List<DeviceSpec> devices = new ArrayList<>();
        if (root != null) {
            MappingNode top = mapping(root, "the ACL file");
            Node rulesNode = null;
            for (NodeTuple t : top.getValue()) {
                String key = scalar(t.getKeyNode(), "a key");
                switch (key) {
                    case "default" -> fileDefault = parseEffect(t.getValueNode());
                    case "groups" -> parseGroups(t.getValueNode(), groups);
                    case "rules" -> rulesNode = t.getValueNode();
                    case "devices" -> parseDevices(t.getValueNode(), devices);
                    default -> throw error(t.getKeyNode(),
                            "unknown key '" + key + "' (expected default, groups, rules, devices)");
                }
            }
            if (rulesNode != null && !isNull(rulesNode)) {
                if (!(rulesNode instanceof SequenceNode seq)) {
                    throw error(rulesNode, "rules must be a list");
                }
                for (Node n : seq.getValue()) {
                    rules.add(parseRule(n, groups));
                }
            }
        }
        boolean defaultAllow;
        String source;
        if (fileDefault != null) {
            defaultAllow = fileDefault;
            source = "file";
        } else if (configuredDefault.isPresent()) {
            defaultAllow = configuredDefault.get();
            source = "config";
        } else {
            defaultAllow = false;
            source = "built-in";
        }
        return new AclRules(rules, groups, defaultAllow, source, devices);
    }

    /** These rules followed by {@code more} (the admin API's, in their order); groups and default unchanged. */
    public AclRules followedBy(List<Rule> more) {
        if (more.isEmpty()) {
            return this;
        }
        List<Rule> all = new ArrayList<>(rules);
        all.addAll(more);
        return new AclRules(all, groups, defaultAllow, defaultSource, devices);
    }

    /**
     * One rule given through the admin API, validated by the very code that reads the file's rules: the fields are
     * written as the YAML of one file rule and parsed. Messages name the API's fields.
     *
     * @param actions a list of action names, or one name
     * @throws IllegalArgumentException when the rule would not be valid in the file
     */
    public static Rule apiRule(boolean allow, Object actions, String topic, List<String> to, Object maxQos) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put(allow ? "allow" : "deny", actions == null ? List.of() : actions);
        if (topic != null) {
            fields.put("topic", topic);
        }
        if (to != null) {
            fields.put("to", to.isEmpty() ? List.of("all") : to);
        }
        if (maxQos != null) {
            fields.put("max-qos", maxQos);
        }
        Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
        try {
            return parseRule(yaml.compose(new StringReader(yaml.dump(fields))), Map.of());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().replaceFirst("^line \\d+: ", "")
                    .replace("max-qos", "maxQos").replace("allow: or deny:", "effect allow or deny")
                    .replace("topic:", "topic"));
        }
    }

    /** No rules, only a default: the ACL of a broker without an ACL file. */
    public static AclRules empty(boolean defaultAllow, String source) {
        return new AclRules(List.of(), Map.of(), defaultAllow, source, List.of());
    }

    private static boolean parseEffect(Node n) {
        String v = scalar(n, "default");
        return switch (v) {
            case "allow" -> true;
            case "deny" -> false;
            default -> throw error(n, "default must be allow or deny, not '" + v + "'");
        };
    }

    private static void parseGroups(Node n, Map<String, List<String>> groups) {
        if (isNull(n)) {
            return;
        }
        for (NodeTuple t : mapping(n, "groups").getValue()) {
            String name = scalar(t.getKeyNode(), "a group name");
            List<String> members = new ArrayList<>();
            for (Node m : list(t.getValueNode())) {
                String member = scalar(m, "a group member");
                if (!(member.startsWith("client:") && member.length() > 7)
                        && !(member.startsWith("user:") && member.length() > 5)) {
                    throw error(m, "group member must be client:ID or user:NAME, not '" + member + "'");
                }
                members.add(member);
            }
            if (groups.put(name, List.copyOf(members)) != null) {
                throw error(t.getKeyNode(), "group '" + name + "' defined twice");
            }
        }
    }

    /**
     * {@code devices:} entries: {@code username} and/or {@code client-id}, {@code password-hash} (bcrypt only),
     * {@code groups}, {@code enabled}.
     */
    private static void parseDevices(Node n, List<DeviceSpec> devices) {
        if (isNull(n)) {
            return;
        }
        if (!(n instanceof SequenceNode seq)) {
            throw error(n, "devices must be a list");
        }
        Set<String> seen = new java.util.HashSet<>();
        for (Node d : seq.getValue()) {
            String username = null;
            String clientId = null;
            String hash = null;
            boolean enabled = true;
            List<String> groups = List.of();
            for (NodeTuple t : mapping(d, "a device").getValue()) {
                String key = scalar(t.getKeyNode(), "a key");
                Node v = t.getValueNode();
                switch (key) {
                    case "username" -> username = scalar(v, "username");
                    case "client-id" -> clientId = scalar(v, "client-id");
                    case "password-hash" -> {
                        hash = scalar(v, "password-hash");
                        if (!PasswordHashing.isBcrypt(hash)) {
                            throw error(v, "password-hash must be a bcrypt hash ($2a$, $2b$ or $2y$), never a password");
                        }
                    }
                    case "enabled" -> {
                        String b = scalar(v, "enabled");
                        if (!b.equals("true") && !b.equals("false")) {
                            throw error(v, "enabled must be true or false");
                        }
                        enabled = Boolean.parseBoolean(b);
                    }
                    case "groups" -> {
                        List<String> names = new ArrayList<>();
                        for (Node g : list(v)) {
                            names.add(scalar(g, "a group"));
                        }
                        try {
                            groups = Devices.groups(names);
                        } catch (IllegalArgumentException e) {
                            throw error(v, e.getMessage());
                        }
                    }
                    default -> throw error(t.getKeyNode(), "unknown key '" + key
                            + "' (expected username, client-id, password-hash, groups, enabled)");
                }
            }
            if (username == null && clientId == null) {
                throw error(d, "a device needs a username, a client-id or both");
            }
            if (username != null && !seen.add("user:" + username) || clientId != null && !seen.add("client:" + clientId)) {
                throw error(d, "device " + (username != null ? username : clientId) + " defined twice");
            }
            devices.add(new DeviceSpec(clientId, username, hash, null, enabled, groups, Map.of(), Device.Source.FILE));
        }
    }

    private static Rule parseRule(Node n, Map<String, List<String>> groups) {
        MappingNode map = mapping(n, "a rule");
        Boolean allow = null;
        Set<Action> actions = EnumSet.noneOf(Action.class);
        String topic = null;
        List<String> to = null;
        Integer maxQos = null;
        for (NodeTuple t : map.getValue()) {
            String key = scalar(t.getKeyNode(), "a key");
            switch (key) {
                case "allow", "deny" -> {
                    if (allow != null) {
                        throw error(t.getKeyNode(), "a rule has one allow or deny");
                    }
                    allow = key.equals("allow");
                    for (Node a : list(t.getValueNode())) {
                        String s = scalar(a, "an action");
                        if (s.equals("all")) {
                            actions.addAll(EnumSet.allOf(Action.class));
                        } else {
                            actions.add(Action.parse(s).orElseThrow(() -> error(a,
                                    "action must be publish, subscribe, retain or all, not '" + s + "'")));
                        }
                    }
                }
                case "topic" -> {
                    topic = scalar(t.getValueNode(), "topic");
                    // Placeholders stand for one safe level fragment; validate with a stand-in value.
                    String probe = topic.replace("%c", "x").replace("%u", "x");
                    if (Topics.isShared(topic)) {
                        throw error(t.getValueNode(), "rules name the filter without $share/group/: '" + topic + "'");
                    }
                    if (!Topics.isValidFilter(probe, Integer.MAX_VALUE)) {
                        throw error(t.getValueNode(), "invalid topic filter '" + topic + "'");
                    }
                }
                case "to" -> {
                    to = new ArrayList<>();
                    for (Node p : list(t.getValueNode())) {
                        String s = scalar(p, "a principal");
                        boolean ok = s.equals("all") || s.startsWith("client:") && s.length() > 7
                                || s.startsWith("user:") && s.length() > 5;
                        if (s.startsWith("group:")) {
                            // A group of the file's groups: section, or one that registry devices are put in.
                            if (s.length() == 6) {
                                throw error(p, "group: needs a group name");
                            }
                            ok = true;
                        }
                        if (!ok) {
                            throw error(p, "to must be all, client:ID, user:NAME or group:NAME, not '" + s + "'");
                        }
                        to.add(s);
                    }
                }
                case "max-qos" -> {
                    String s = scalar(t.getValueNode(), "max-qos");
                    if (!s.matches("[012]")) {
                        throw error(t.getValueNode(), "max-qos must be 0, 1 or 2, not '" + s + "'");
                    }
                    maxQos = Integer.parseInt(s);
                }
                default -> throw error(t.getKeyNode(),
                        "unknown key '" + key + "' (expected allow or deny, topic, to, max-qos)");
            }
        }
        if (allow == null || actions.isEmpty()) {
            throw error(n, "a rule needs allow: or deny: with at least one action");
        }
        if (topic == null) {
            throw error(n, "a rule needs a topic:");
        }
        if (maxQos != null && !allow) {
            throw error(n, "max-qos only applies to allow rules");
        }
        if (to == null || to.isEmpty()) {
            to = List.of("all");
        }
        return new Rule(n.getStartMark().getLine() + 1, allow, Collections.unmodifiableSet(actions), topic,
                List.copyOf(to), maxQos);
    }

    private static boolean isNull(Node n) {
        return n instanceof ScalarNode s && "tag:yaml.org,2002:null".equals(s.getTag().getValue());
    }

    private static MappingNode mapping(Node n, String what) {
        if (!(n instanceof MappingNode m)) {
            throw error(n, what + " must be a mapping");
        }
        return m;
    }

    private static List<Node> list(Node n) {
        if (n instanceof SequenceNode s) {
            return s.getValue();
        }
        return List.of(n);
    }

    private static String scalar(Node n, String what) {
        if (!(n instanceof ScalarNode s) || isNull(n)) {
            throw error(n, what + " must be a single value");
        }
        return s.getValue().trim();
    }

    private static IllegalArgumentException error(Node n, String message) {
        return new IllegalArgumentException("line " + (n.getStartMark().getLine() + 1) + ": " + message);
    }

    // ---------------------------------------------------------------------------------------------------- decisions

    /**
     * Whether the client may do {@code action} on {@code topic} (a topic name for publish/retain; a filter, possibly
     * {@code $share/group/filter}, for subscribe) at {@code qos}. Only checks that one permission: a retained
     * publish needs both {@link Action#PUBLISH} and {@link Action#RETAIN}.
     */
    public Decision decide(Authorizer.ClientIdentity client, Action action, String topic, int qos) {
        return decide(client, action, topic, qos, true);
    }

    /** @param explain whether an allowed subscription's reason names the deny rules withheld on delivery */
    private Decision decide(Authorizer.ClientIdentity client, Action action, String topic, int qos, boolean explain) {
        if (action != Action.SUBSCRIBE && topic.startsWith("$SYS/")) {
            return new Decision(false, null, "publishing to $SYS/ is reserved to the broker");
        }
        String target = topic;
        if (action == Action.SUBSCRIBE && Topics.isShared(topic)) {
            Topics.SharedFilter shared = Topics.parseShared(topic);
            if (shared == null) {
                return new Decision(false, null, "invalid shared subscription");
            }
            target = shared.filter();
        }
        for (Rule rule : rules) {
            if (!rule.actions().contains(action) || !appliesTo(rule, client)) {
                continue;
            }
            String filter = resolve(rule, client);
            if (filter == null) {
                // An unsafe client id or username never widens access: allow rules using it do not match, deny
                // rules using it always do.
                if (rule.allow()) {
                    continue;
                }
                return new Decision(false, rule, "first matching rule " + rule.where()
                        + " (client id or username unusable in its placeholder)");
            }
            // A subscribe rule, allow or deny, decides a requested filter only when it covers all of it. A filter
            // that merely overlaps a deny rule is decided further down; the topics the deny names are withheld
            // when messages are delivered (decideReceive).
            boolean matched = action == Action.SUBSCRIBE ? covers(filter, target) : Topics.matches(filter, target);
            if (!matched) {
                continue;
            }
            if (rule.allow() && rule.maxQos() != null && qos > rule.maxQos()) {
                return new Decision(false, rule, "first matching rule " + rule.where() + " allows QoS <= "
                        + rule.maxQos() + " only");
            }
            String reason = "first matching rule " + rule.where();
            if (explain && rule.allow() && action == Action.SUBSCRIBE) {
                reason += withheld(client, target, rule);
            }
            return new Decision(rule.allow(), rule, reason);
        }
        String reason = "no rule matched: default " + (defaultAllow ? "allow" : "deny");
        if (explain && defaultAllow && action == Action.SUBSCRIBE) {
            reason += withheld(client, target, null);
        }
        return new Decision(defaultAllow, null, reason);
    }

    /**
     * Whether a message on {@code topic} (a topic name) may be delivered to the client: its subscribe permission on
     * that one topic. QoS limits do not apply here; they were applied to the subscription.
     */
    public Decision decideReceive(Authorizer.ClientIdentity client, String topic) {
        // A topic name has no withheld part; skipping that scan keeps cache misses on the delivery path cheap.
        return decide(client, Action.SUBSCRIBE, topic, 0, false);
    }

    /** For explain: the deny rules before {@code decided} that overlap an allowed filter, whose topics are withheld. */
    private String withheld(Authorizer.ClientIdentity client, String filter, Rule decided) {
        List<String> lines = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (Rule rule : rules) {
            if (rule == decided) {
                break;
            }
            if (rule.allow() || !rule.actions().contains(Action.SUBSCRIBE) || !appliesTo(rule, client)) {
                continue;
            }
            String denied = resolve(rule, client);
            if (denied == null || overlaps(denied, filter)) {
                (rule.id() == null ? lines : ids).add(String.valueOf(rule.id() == null ? rule.line() : rule.id()));
            }
        }
        if (lines.isEmpty() && ids.isEmpty()) {
            return "";
        }
        List<String> where = new ArrayList<>();
        if (!lines.isEmpty()) {
            where.add("at line " + String.join(", ", lines));
        }
        if (!ids.isEmpty()) {
            where.add("api rule" + (ids.size() > 1 ? "s " : " ") + String.join(", ", ids));
        }
        return "; messages on topics denied by the rule" + (lines.size() + ids.size() > 1 ? "s " : " ")
                + String.join(" and ", where) + " are not delivered";
    }

    /** A publish as the broker asks for it: publish, and retain too when RETAIN is set. */
    public Decision decidePublish(Authorizer.ClientIdentity client, String topic, int qos, boolean retain) {
        Decision publish = decide(client, Action.PUBLISH, topic, qos);
        if (!publish.allowed() || !retain) {
            return publish;
        }
        Decision r = decide(client, Action.RETAIN, topic, qos);
        return new Decision(r.allowed(), r.rule(), "retain: " + r.reason());
    }

    private boolean appliesTo(Rule rule, Authorizer.ClientIdentity client) {
        for (String p : rule.to()) {
            if (p.equals("all") || isPrincipal(p, client)) {
                return true;
            }
            if (p.startsWith("group:")) {
                if (client.groups().contains(p.substring(6))) {
                    return true;
                }
                for (String member : groups.getOrDefault(p.substring(6), List.of())) {
                    if (isPrincipal(member, client)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static boolean isPrincipal(String p, Authorizer.ClientIdentity client) {
        if (p.startsWith("client:")) {
            return p.substring(7).equals(client.clientId());
        }
        if (p.startsWith("user:")) {
            return client.username() != null && p.substring(5).equals(client.username());
        }
        return false;
    }

    /** The rule's filter with placeholders replaced, or null when a placeholder's value is unsafe. */
    static String resolve(Rule rule, Authorizer.ClientIdentity client) {
        if (rule.usesClientId() && !safe(client.clientId()) || rule.usesUsername() && !safe(client.username())) {
            return null;
        }
        String f = rule.topic();
        if (f.indexOf('%') < 0) {
            return f;
        }
        // One left-to-right pass, so that a value containing "%u" or "%c" is not expanded again.
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < f.length(); i++) {
            char c = f.charAt(i);
            char next = i + 1 < f.length() ? f.charAt(i + 1) : 0;
            if (c == '%' && (next == 'c' || next == 'u')) {
                b.append(next == 'c' ? client.clientId() : client.username());
                i++;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** A value may stand in a filter level only if it adds no level and no wildcard. */
    static boolean safe(String value) {
        if (value == null || value.isEmpty()) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '+' || c == '#' || c == '/' || c == '\u0000') {
                return false;
            }
        }
        return true;
    }

    /** Whether every topic {@code requested} matches is also matched by {@code rule}. */
    public static boolean covers(String rule, String requested) {
        String[] r = Topics.levels(rule);
        String[] q = Topics.levels(requested);
        if (q[0].startsWith("$") && (r[0].equals("+") || r[0].equals("#"))) {
            return false;
        }
        for (int i = 0; i < r.length; i++) {
            if (r[i].equals("#")) {
                return true;
            }
            if (i >= q.length || q[i].equals("#")) {
                return false;
            }
            if (!r[i].equals("+") && !r[i].equals(q[i])) {
                return false;
            }
        }
        return r.length == q.length;
    }

    /** Whether some topic matches both filters. */
    public static boolean overlaps(String a, String b) {
        String[] x = Topics.levels(a);
        String[] y = Topics.levels(b);
        if (x[0].startsWith("$") && isWild(y[0]) || y[0].startsWith("$") && isWild(x[0])) {
            return false;
        }
        for (int i = 0; ; i++) {
            boolean xEnd = i >= x.length;
            boolean yEnd = i >= y.length;
            if (xEnd && yEnd) {
                return true;
            }
            if (!xEnd && x[i].equals("#") || !yEnd && y[i].equals("#")) {
                return true;
            }
            if (xEnd || yEnd) {
                return false;
            }
            if (!x[i].equals("+") && !y[i].equals("+") && !x[i].equals(y[i])) {
                return false;
            }
        }
    }

    private static boolean isWild(String level) {
        return level.equals("+") || level.equals("#");
    }

    /** Action names accepted by the explain endpoint, for messages. */
    public static Set<String> actionNames() {
        Set<String> s = new LinkedHashSet<>();
        for (Action a : Action.values()) {
            s.add(a.id());
        }
        return s;
    }
}
