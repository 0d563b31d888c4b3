package io.conduit.security;

import io.conduit.security.AclRules.Action;
import io.conduit.security.AclRules.Decision;
import io.conduit.security.Authorizer.ClientIdentity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static io.conduit.security.AclRules.Action.PUBLISH;
import static io.conduit.security.AclRules.Action.RETAIN;
import static io.conduit.security.AclRules.Action.SUBSCRIBE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parsing and evaluation of ACL files, without a broker. */
class AclRulesTest {

    private static final ClientIdentity D1 = new ClientIdentity("d1", "alice");
    private static final ClientIdentity D2 = new ClientIdentity("d2", null);

    private static AclRules parse(String yaml) {
        return AclRules.parse(yaml, Optional.empty());
    }

    private static boolean can(AclRules rules, ClientIdentity c, Action a, String topic, int qos) {
        return rules.decide(c, a, topic, qos).allowed();
    }

    @Test
    void parsesRulesWithLinesGroupsAndDefault() {
        AclRules rules = parse("""
                # devices
                default: allow
                groups:
                  ops: [client:d1, user:bob]
                rules:
                  - deny: subscribe
                    topic: test/nosubscribe
                  - allow: [publish, retain]
                    topic: devices/%c/#
                    to: group:ops
                    max-qos: 1
                  - allow: all
                    topic: public/#
                """);
        assertTrue(rules.defaultAllow());
        assertEquals("file", rules.defaultSource());
        assertEquals(List.of("client:d1", "user:bob"), rules.groups().get("ops"));
        assertEquals(3, rules.rules().size());
        AclRules.Rule first = rules.rules().get(0);
        assertEquals(6, first.line());
        assertEquals("deny subscribe test/nosubscribe to all", first.text());
        AclRules.Rule second = rules.rules().get(1);
        assertEquals(8, second.line());
        assertEquals(Set.of(PUBLISH, RETAIN), second.actions());
        assertEquals("allow publish,retain devices/%c/# to group:ops qos<=1", second.text());
        assertEquals("allow all public/# to all", rules.rules().get(2).text());
    }

    @Test
    void defaultIsDenyWithAFileUnlessTheFileOrConfigSaysOtherwise() {
        assertFalse(parse("rules: []").defaultAllow());
        assertFalse(parse("").defaultAllow());
        AclRules fromConfig = AclRules.parse("rules: []", Optional.of(true));
        assertTrue(fromConfig.defaultAllow());
        assertEquals("config", fromConfig.defaultSource());
        assertFalse(AclRules.parse("default: deny", Optional.of(true)).defaultAllow());
        Decision d = parse("").decide(D1, PUBLISH, "a/b", 0);
        assertFalse(d.allowed());
        assertNull(d.rule());
        assertEquals("no rule matched: default deny", d.reason());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "rules: [{allow: publsh, topic: a}]",
            "rules: [{allow: publish}]",
            "rules: [{topic: a}]",
            "rules: [{allow: publish, deny: subscribe, topic: a}]",
            "rules: [{allow: publish, topic: 'a/#/b'}]",
            "rules: [{allow: publish, topic: 'a+'}]",
            "rules: [{allow: publish, topic: '$share/g/a'}]",
            "rules: [{allow: publish, topic: a, to: 'group:'}]",
            "rules: [{allow: publish, topic: a, to: somebody}]",
            "rules: [{allow: publish, topic: a, max-qos: 3}]",
            "rules: [{deny: publish, topic: a, max-qos: 1}]",
            "rules: [{allow: publish, topics: a}]",
            "default: maybe",
            "defaults: deny",
            "groups: {g: [d1]}",
            "rules: {allow: publish}",
            "rules: [{allow: publish, topic: [a"})
    void rejectsInvalidFiles(String yaml) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(yaml));
        assertTrue(e.getMessage().startsWith("line "), e.getMessage());
    }

    @Test
    void errorsNameTheLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse("""
                rules:
                  - allow: publish
                    topic: ok
                  - allow: publish
                    topic: bad/#/x
                """));
        assertTrue(e.getMessage().startsWith("line 5: invalid topic filter"), e.getMessage());
    }

    @Test
    void firstMatchWinsInFileOrder() {
        AclRules rules = parse("""
                rules:
                  - deny: publish
                    topic: devices/secret
                  - allow: publish
                    topic: devices/#
                  - deny: publish
                    topic: devices/late
                """);
        Decision secret = rules.decide(D1, PUBLISH, "devices/secret", 0);
        assertFalse(secret.allowed());
        assertEquals(2, secret.rule().line());
        assertEquals("first matching rule at line 2", secret.reason());
        // The later deny never applies: the allow above it matched first.
        Decision late = rules.decide(D1, PUBLISH, "devices/late", 0);
        assertTrue(late.allowed());
        assertEquals(4, late.rule().line());
        assertFalse(can(rules, D1, PUBLISH, "other", 0));
    }

    @Test
    void placeholdersExpandToTheClientsOwnIdAndUsername() {
        AclRules rules = parse("""
                rules:
                  - allow: all
                    topic: devices/%c/#
                  - allow: publish
                    topic: users/%u/inbox
                """);
        assertTrue(can(rules, D1, PUBLISH, "devices/d1/x", 0));
        assertFalse(can(rules, D1, PUBLISH, "devices/d2/x", 0));
        assertTrue(can(rules, D2, PUBLISH, "devices/d2/x", 0));
        assertTrue(can(rules, D1, PUBLISH, "users/alice/inbox", 0));
        assertFalse(can(rules, D1, PUBLISH, "users/bob/inbox", 0));
        assertTrue(can(rules, D1, SUBSCRIBE, "devices/d1/+", 0));
        assertFalse(can(rules, D1, SUBSCRIBE, "devices/+/x", 0));
    }

    @ParameterizedTest
    @CsvSource(value = {
            // client id, username, topic the client tries
            "+, alice, devices/+/x",
            "#, alice, devices/#",
            "a/b, alice, devices/a/b/x",
            "d1, '', users//inbox",
            "d1, NULL, users/null/inbox",
            "d1, a/b, users/a/b/inbox",
            "d1, +, users/+/inbox",
            "d1, %c, users/d1/inbox",
    }, nullValues = "NULL")
    void placeholdersNeverWiden(String clientId, String username, String topic) {
        AclRules rules = parse("""
                default: deny
                rules:
                  - allow: all
                    topic: devices/%c/#
                  - allow: all
                    topic: users/%u/inbox
                """);
        ClientIdentity c = new ClientIdentity(clientId, username);
        Action action = topic.contains("+") || topic.contains("#") ? SUBSCRIBE : PUBLISH;
        assertFalse(can(rules, c, action, topic, 0), clientId + "/" + username + " on " + topic);
        assertFalse(can(rules, c, SUBSCRIBE, "devices/#", 0));
    }

    @Test
    void unsafePlaceholderValuesMakeDenyRulesApply() {
        AclRules rules = parse("""
                default: allow
                rules:
                  - deny: publish
                    topic: quarantine/%c
                """);
        assertTrue(can(rules, D1, PUBLISH, "anything", 0));
        Decision d = rules.decide(new ClientIdentity("x/y", null), PUBLISH, "anything", 0);
        assertFalse(d.allowed());
        assertEquals(3, d.rule().line());
    }

    @Test
    void placeholderValuesAreNotExpandedTwice() {
        AclRules rules = parse("rules: [{allow: publish, topic: 'p/%c/%u'}]");
        ClientIdentity tricky = new ClientIdentity("%u", "bob");
        assertTrue(can(rules, tricky, PUBLISH, "p/%u/bob", 0));
        assertFalse(can(rules, tricky, PUBLISH, "p/bob/bob", 0));
    }

    @Test
    void principalsAndGroups() {
        AclRules rules = parse("""
                groups:
                  fleet: [client:d2, user:alice]
                rules:
                  - allow: publish
                    topic: fleet/#
                    to: group:fleet
                  - allow: publish
                    topic: only-d1
                    to: client:d1
                  - allow: publish
                    topic: only-carol
                    to: [user:carol, client:d9]
                """);
        assertTrue(can(rules, D1, PUBLISH, "fleet/a", 0)); // user alice is in the group
        assertTrue(can(rules, D2, PUBLISH, "fleet/a", 0)); // client d2 is in the group
        assertFalse(can(rules, new ClientIdentity("d3", "bob"), PUBLISH, "fleet/a", 0));
        assertTrue(can(rules, D1, PUBLISH, "only-d1", 0));
        assertFalse(can(rules, D2, PUBLISH, "only-d1", 0));
        assertTrue(can(rules, new ClientIdentity("x", "carol"), PUBLISH, "only-carol", 0));
        assertTrue(can(rules, new ClientIdentity("d9", null), PUBLISH, "only-carol", 0));
        assertFalse(can(rules, D1, PUBLISH, "only-carol", 0));
    }

    @Test
    void deviceGroupsCountLikeFileGroups() {
        // group:sensors is not in the file: only the registry puts clients in it.
        AclRules rules = parse("""
                groups:
                  fleet: [client:d2]
                rules:
                  - allow: publish
                    topic: sensors/#
                    to: group:sensors
                  - allow: publish
                    topic: fleet/#
                    to: group:fleet
                """);
        ClientIdentity sensor = new ClientIdentity("s1", "sensor-1", java.util.Set.of("sensors"));
        assertTrue(can(rules, sensor, PUBLISH, "sensors/t", 0));
        assertFalse(can(rules, new ClientIdentity("s1", "sensor-1"), PUBLISH, "sensors/t", 0));
        assertFalse(can(rules, sensor, PUBLISH, "fleet/a", 0));
        // A device group named like a file group joins it.
        assertTrue(can(rules, new ClientIdentity("x", null, java.util.Set.of("fleet")), PUBLISH, "fleet/a", 0));
    }

    @Test
    void qosLimitDeniesAbove() {
        AclRules rules = parse("""
                rules:
                  - allow: [publish, subscribe]
                    topic: telemetry/#
                    max-qos: 1
                """);
        assertTrue(can(rules, D1, PUBLISH, "telemetry/a", 1));
        Decision d = rules.decide(D1, PUBLISH, "telemetry/a", 2);
        assertFalse(d.allowed());
        assertEquals("first matching rule at line 2 allows QoS <= 1 only", d.reason());
        assertTrue(can(rules, D1, SUBSCRIBE, "telemetry/#", 0));
        assertFalse(can(rules, D1, SUBSCRIBE, "telemetry/#", 2));
    }

    @Test
    void retainIsASeparatePermission() {
        AclRules rules = parse("""
                rules:
                  - allow: publish
                    topic: status/#
                  - allow: [publish, retain]
                    topic: config/#
                  - allow: retain
                    topic: onlyretain/#
                """);
        assertTrue(rules.decidePublish(D1, "status/a", 0, false).allowed());
        Decision retained = rules.decidePublish(D1, "status/a", 0, true);
        assertFalse(retained.allowed());
        assertEquals("retain: no rule matched: default deny", retained.reason());
        assertTrue(rules.decidePublish(D1, "config/a", 0, true).allowed());
        // Retain alone is not enough: publishing must be allowed too.
        assertFalse(rules.decidePublish(D1, "onlyretain/a", 0, true).allowed());
        assertTrue(rules.decide(D1, RETAIN, "onlyretain/a", 0).allowed());
    }

    @Test
    void sysTopicsStayClosedToPublishers() {
        AclRules rules = parse("""
                rules:
                  - allow: all
                    topic: '#'
                  - allow: all
                    topic: $SYS/#
                """);
        assertFalse(can(rules, D1, PUBLISH, "$SYS/broker/uptime", 0));
        assertFalse(can(rules, D1, RETAIN, "$SYS/broker/uptime", 0));
        assertTrue(can(rules, D1, SUBSCRIBE, "$SYS/#", 0));
        assertTrue(AclRules.empty(true, "built-in").decide(D1, SUBSCRIBE, "$SYS/#", 0).allowed());
        assertFalse(AclRules.empty(true, "built-in").decide(D1, PUBLISH, "$SYS/x", 0).allowed());
    }

    @ParameterizedTest
    @CsvSource({
            "sensors/#, sensors/+/temp, true",
            "sensors/#, sensors/#, true",
            "sensors/#, sensors, true",
            "sensors/#, #, false",
            "sensors/#, +/temp, false",
            "sensors/+/temp, sensors/a/temp, true",
            "sensors/+/temp, sensors/+/temp, true",
            "sensors/a/temp, sensors/+/temp, false",
            "sensors/+/temp, sensors/#, false",
            "sensors/+, sensors/a/b, false",
            "#, a/b/#, true",
            "#, $SYS/#, false",
            "+/x, $SYS/x, false",
            "$SYS/#, $SYS/broker/+, true",
            "a/b/#, a, false",
    })
    void subscribeCoverage(String rule, String requested, boolean covered) {
        assertEquals(covered, AclRules.covers(rule, requested), rule + " covers " + requested);
    }

    @ParameterizedTest
    @CsvSource({
            "sensors/secret, sensors/#, true",
            "sensors/secret, #, true",
            "sensors/secret, +/secret, true",
            "sensors/secret, sensors/+, true",
            "sensors/secret, sensors/public, false",
            "sensors/secret, sensors/secret/x, false",
            "sensors/secret/#, sensors/secret, true",
            "a/+/c, a/b/+, true",
            "a/+, a/b/c, false",
            "$SYS/#, #, false",
            "$SYS/#, $SYS/+, true",
    })
    void denyOverlap(String rule, String requested, boolean overlap) {
        assertEquals(overlap, AclRules.overlaps(rule, requested), rule + " overlaps " + requested);
        assertEquals(overlap, AclRules.overlaps(requested, rule), "symmetric");
    }

    @Test
    void subscribeRulesDecideOnlyFiltersTheyCoverAndDeniedTopicsAreWithheldOnDelivery() {
        AclRules rules = parse("""
                rules:
                  - deny: subscribe
                    topic: sensors/secret
                  - deny: subscribe
                    topic: sensors/+/private
                  - allow: subscribe
                    topic: sensors/#
                """);
        assertTrue(can(rules, D1, SUBSCRIBE, "sensors/+/temp", 0));
        assertTrue(can(rules, D1, SUBSCRIBE, "sensors/public", 0));
        // Overlapping a deny is no reason to refuse: the denied topics are withheld when delivered.
        assertTrue(can(rules, D1, SUBSCRIBE, "sensors/+", 0));
        assertTrue(can(rules, D1, SUBSCRIBE, "sensors/#", 0));
        assertTrue(can(rules, D1, SUBSCRIBE, "sensors/a/#", 0));
        // A filter a deny covers entirely is refused.
        assertFalse(can(rules, D1, SUBSCRIBE, "sensors/secret", 0));
        assertFalse(can(rules, D1, SUBSCRIBE, "sensors/+/private", 0));
        assertFalse(can(rules, D1, SUBSCRIBE, "sensors/a/private", 0));
        assertFalse(can(rules, D1, SUBSCRIBE, "#", 0)); // reaches beyond sensors/#

        assertTrue(rules.decideReceive(D1, "sensors/public").allowed());
        assertTrue(rules.decideReceive(D1, "sensors/a/temp").allowed());
        assertFalse(rules.decideReceive(D1, "sensors/secret").allowed());
        assertFalse(rules.decideReceive(D1, "sensors/a/private").allowed());
        assertFalse(rules.decideReceive(D1, "other/x").allowed());

        Decision all = rules.decide(D1, SUBSCRIBE, "sensors/#", 0);
        assertEquals("first matching rule at line 6; messages on topics denied by the rules at line 2, 4 are not "
                + "delivered", all.reason());
        assertEquals("first matching rule at line 6; messages on topics denied by the rule at line 4 are not "
                + "delivered", rules.decide(D1, SUBSCRIBE, "sensors/+/+", 0).reason());
        assertEquals("first matching rule at line 6", rules.decide(D1, SUBSCRIBE, "sensors/a/temp", 0).reason());
    }

    @Test
    void readChecksIgnoreQosLimitsAndKeepDollarTopicsApart() {
        AclRules rules = parse("""
                rules:
                  - allow: subscribe
                    topic: '#'
                    max-qos: 0
                  - allow: subscribe
                    topic: $SYS/broker/#
                """);
        assertTrue(rules.decideReceive(D1, "a/b").allowed());
        assertFalse(can(rules, D1, SUBSCRIBE, "a/b", 1));
        assertFalse(rules.decideReceive(D1, "$SYS/other").allowed());
        assertTrue(rules.decideReceive(D1, "$SYS/broker/uptime").allowed());
    }

    @Test
    void sharedSubscriptionsAreCheckedOnTheirFilter() {
        AclRules rules = parse("""
                rules:
                  - allow: subscribe
                    topic: jobs/#
                """);
        assertTrue(can(rules, D1, SUBSCRIBE, "$share/workers/jobs/+", 1));
        assertFalse(can(rules, D1, SUBSCRIBE, "$share/workers/other/#", 1));
        assertFalse(can(rules, D1, SUBSCRIBE, "$share/workers/#", 1));
        Decision bad = rules.decide(D1, SUBSCRIBE, "$share//jobs/a", 1);
        assertFalse(bad.allowed());
        assertEquals("invalid shared subscription", bad.reason());
    }

    @Test
    void readmeExampleIsAValidAclFile() throws Exception {
        String readme = Files.readString(Path.of("../README.md"));
        int section = readme.indexOf("## Security: ACLs");
        int start = readme.indexOf("```yaml\n", section) + 8;
        AclRules rules = parse(readme.substring(start, readme.indexOf("```", start)));
        Decision d = rules.decide(D1, PUBLISH, "devices/d1/temp", 1);
        assertTrue(d.allowed());
        assertEquals(10, d.rule().line());
        assertFalse(rules.decide(D1, SUBSCRIBE, "other/x", 0).allowed());
        assertFalse(rules.decide(new ClientIdentity("console-1", null), PUBLISH, "telemetry/a", 2).allowed());
    }

    @Test
    void apiRulesFollowTheFilesAndAreNamedById() {
        AclRules file = parse("""
                rules:
                  - deny: subscribe
                    topic: sensors/secret
                """);
        AclRules all = file.followedBy(List.of(
                AclRules.apiRule(false, List.of("subscribe"), "sensors/private", null, null).withId(7),
                AclRules.apiRule(true, "subscribe", "sensors/#", List.of(), null).withId(8)));
        Decision d = all.decide(D1, SUBSCRIBE, "sensors/#", 0);
        assertTrue(d.allowed());
        assertEquals("api", d.rule().source());
        assertEquals("first matching rule api rule 8; messages on topics denied by the rules at line 2 and api rule 7 "
                + "are not delivered", d.reason());
        assertFalse(all.decideReceive(D1, "sensors/private").allowed());
        assertFalse(all.decideReceive(D1, "sensors/secret").allowed());
        assertFalse(file.decide(D1, SUBSCRIBE, "sensors/#", 0).allowed());
        assertEquals("maxQos only applies to allow rules", assertThrows(IllegalArgumentException.class,
                () -> AclRules.apiRule(false, List.of("publish"), "a", null, 1)).getMessage());
        assertEquals("invalid topic filter 'a/#/b'", assertThrows(IllegalArgumentException.class,
                () -> AclRules.apiRule(true, "publish", "a/#/b", null, null)).getMessage());
    }
}
