package io.conduit.routing;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The subscription trie: matching, replacement, removal and pruning, and correctness at 100k subscriptions. */
class SubscriptionTreeTest {

    private final SubscriptionTree tree = new SubscriptionTree();
    private final Map<String, Client> clients = new HashMap<>();

    private Client client(String id) {
        return clients.computeIfAbsent(id, Client::new);
    }

    private Subscription sub(String clientId, String filter, int qos) {
        Subscription s = new Subscription(clientId, filter, null, qos, false, false, 0, 0);
        tree.subscribe(client(clientId), s);
        return s;
    }

    private Set<String> matching(String topic) {
        return tree.match(topic, null).stream().map(t -> t.subscriber().clientId())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void exactPlusAndHashMatching() {
        sub("exact", "a/b/c", 0);
        sub("plus1", "a/+/c", 0);
        sub("plus2", "+/+/+", 0);
        sub("hashA", "a/#", 0);
        sub("hashAll", "#", 0);
        sub("plusHash", "+/b/#", 0);
        sub("other", "x/y", 0);

        assertEquals(Set.of("exact", "plus1", "plus2", "hashA", "hashAll", "plusHash"), matching("a/b/c"));
        assertEquals(Set.of("plus1", "plus2", "hashA", "hashAll"), matching("a/x/c"));
        assertEquals(Set.of("hashA", "hashAll", "plusHash"), matching("a/b"));
        assertEquals(Set.of("hashA", "hashAll"), matching("a"), "a/# matches its parent level a");
        assertEquals(Set.of("hashA", "hashAll", "plusHash"), matching("a/b/c/d"));
        assertEquals(Set.of("other", "hashAll"), matching("x/y"));
        assertEquals(Set.of("hashAll", "plus2"), matching("x/y/z"));
        assertEquals(Set.of("hashAll"), matching("x/y/z/w"));
    }

    @Test
    void emptyLevelsAreLevels() {
        sub("slash", "/", 0);
        sub("plusPlus", "+/+", 0);
        sub("leadingEmpty", "/a", 0);
        assertEquals(Set.of("slash", "plusPlus"), matching("/"));
        assertEquals(Set.of("leadingEmpty", "plusPlus"), matching("/a"));
        assertEquals(Set.of(), matching("a"));
    }

    @Test
    void dollarTopicsAreNotMatchedByLeadingWildcards() {
        sub("hash", "#", 0);
        sub("plus", "+/x", 0);
        sub("plusHash", "+/#", 0);
        sub("sys", "$SYS/#", 0);
        sub("sysPlus", "$SYS/+", 0);
        sub("topicA", "$TopicA/+", 0);
        sub("plusB", "+/B", 0);

        assertEquals(Set.of("sys", "sysPlus"), matching("$SYS/x"));
        assertEquals(Set.of("sys"), matching("$SYS"));
        assertEquals(Set.of("topicA"), matching("$TopicA/B"));
        assertEquals(Set.of("hash", "plusB", "plusHash"), matching("TopicA/B"));
    }

    @Test
    void subscribeReplacesAndReturnsThePreviousSubscription() {
        Subscription first = sub("c", "a/b", 0);
        assertEquals(1, tree.size());
        Subscription second = new Subscription("c", "a/b", null, 2, false, false, 0, 0);
        assertSame(first, tree.subscribe(client("c"), second));
        assertEquals(1, tree.size(), "a replacement is not a new subscription");
        assertEquals(2, tree.match("a/b", null).get(0).qos());
        assertNull(tree.subscribe(client("c"), new Subscription("c", "a/+", null, 0, false, false, 0, 0)));
        assertEquals(2, tree.size());
    }

    @Test
    void unsubscribeRemovesOnlyThatSubscription() {
        sub("c1", "a/b", 0);
        sub("c2", "a/b", 0);
        sub("c1", "a/#", 0);

        assertTrue(tree.unsubscribe("c1", "a/b", null));
        assertFalse(tree.unsubscribe("c1", "a/b", null), "already gone");
        assertFalse(tree.unsubscribe("c1", "no/such/filter", null));
        assertFalse(tree.unsubscribe("c3", "a/b", null), "another client's subscription");
        assertEquals(Set.of("c1", "c2"), matching("a/b"), "c1 still matches through a/#");
        assertTrue(tree.unsubscribe("c1", "a/#", null));
        assertEquals(Set.of("c2"), matching("a/b"));
        assertEquals(1, tree.size());
    }

    @Test
    void unsubscribeOfAnOwnerLeavesANewerOwnersSubscriptionAlone() {
        Client oldSession = new Client("same");
        Client newSession = new Client("same");
        Subscription s = new Subscription("same", "o/t", null, 1, false, false, 0, 0);
        tree.subscribe(oldSession, s);
        tree.subscribe(newSession, s);
        assertFalse(tree.unsubscribe(oldSession, s));
        assertEquals(1, tree.match("o/t", null).size());
        assertTrue(tree.unsubscribe(newSession, s));
        assertEquals(0, tree.size());
    }

    @Test
    void emptyBranchesArePrunedAndSharedPrefixesKept() throws Exception {
        sub("c", "p/q/r/s", 0);
        sub("d", "p/q", 0);
        assertTrue(tree.unsubscribe("c", "p/q/r/s", null));
        // Node "p/q" still holds d's subscription; "r" and "s" below it must be gone.
        assertEquals(Set.of("p"), childLevels(root()));
        assertEquals(Set.of("q"), childLevels(child(root(), "p")));
        assertEquals(Set.of(), childLevels(child(child(root(), "p"), "q")));
        assertTrue(tree.unsubscribe("d", "p/q", null));
        assertEquals(Set.of(), childLevels(root()), "no empty branch may stay behind");
    }

    @Test
    void oneClientWithOverlappingSubscriptionsGetsOneTargetAtTheHighestQosWithAllIdentifiers() {
        tree.subscribe(client("c"), new Subscription("c", "a/+", null, 0, false, false, 0, 7));
        tree.subscribe(client("c"), new Subscription("c", "a/#", null, 2, false, false, 0, 9));
        tree.subscribe(client("c"), new Subscription("c", "a/b", null, 1, false, false, 0, 0));
        List<SubscriptionTree.Target> targets = tree.match("a/b", null);
        assertEquals(1, targets.size());
        assertEquals(2, targets.get(0).qos());
        int[] ids = targets.get(0).subscriptionIds().clone();
        Arrays.sort(ids);
        assertEquals("[7, 9]", Arrays.toString(ids));
    }

    @Test
    void noLocalSkipsThePublisher() {
        tree.subscribe(client("me"), new Subscription("me", "n/t", null, 0, true, false, 0, 0));
        sub("you", "n/t", 0);
        assertEquals(Set.of("you"), tree.match("n/t", "me").stream().map(t -> t.subscriber().clientId())
                .collect(Collectors.toSet()));
        assertEquals(2, tree.match("n/t", "you").size());
    }

    @Test
    void hundredThousandSubscriptionsMatchExactly() throws Exception {
        int n = 100_000;
        for (int i = 0; i < n; i++) {
            sub("c" + i, "bulk/" + (i / 100) + "/" + (i % 100), 1);
        }
        sub("w-plus", "bulk/+/7", 0);
        sub("w-hash", "bulk/42/#", 0);
        sub("w-all", "#", 0);
        assertEquals(n + 3, tree.size());

        for (int i = 0; i < n; i++) {
            String topic = "bulk/" + (i / 100) + "/" + (i % 100);
            Set<String> expected = new TreeSet<>(List.of("c" + i, "w-all"));
            if (i % 100 == 7) {
                expected.add("w-plus");
            }
            if (i / 100 == 42) {
                expected.add("w-hash");
            }
            Set<String> actual = matching(topic);
            if (!expected.equals(actual)) {
                assertEquals(expected, actual, topic);
            }
        }
        assertEquals(Set.of("w-all"), matching("bulk/1000/0"), "no subscription for this topic");
        assertEquals(Set.of("w-all", "w-hash"), matching("bulk/42"));

        List<String> left = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (!tree.unsubscribe("c" + i, "bulk/" + (i / 100) + "/" + (i % 100), null)) {
                left.add("c" + i);
            }
        }
        assertEquals(List.of(), left);
        assertEquals(3, tree.size());
        assertEquals(Set.of("w-all", "w-plus"), matching("bulk/3/7"));
        // Only the wildcard branches remain: bulk/+ and bulk/42, none of the 1000 numbered branches.
        assertEquals(Set.of("+", "42"), childLevels(child(root(), "bulk")));
    }

    // Pruning has no observable effect on matching, only on memory: look at the trie itself.
    private Object root() throws Exception {
        Field f = SubscriptionTree.class.getDeclaredField("root");
        f.setAccessible(true);
        return f.get(tree);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> children(Object node) throws Exception {
        Field f = node.getClass().getDeclaredField("children");
        f.setAccessible(true);
        Map<String, Object> children = (Map<String, Object>) f.get(node);
        return children == null ? Map.of() : children;
    }

    private static Set<String> childLevels(Object node) throws Exception {
        return new TreeSet<>(children(node).keySet());
    }

    private static Object child(Object node, String level) throws Exception {
        Object child = children(node).get(level);
        if (child == null) {
            throw new AssertionError("no child " + level + " in " + childLevels(node));
        }
        return child;
    }

    /** A subscriber that records nothing: these tests look at match results only. */
    private record Client(String clientId) implements Subscriber {
        @Override
        public boolean isOnline() {
            return true;
        }

        @Override
        public java.util.concurrent.CompletionStage<Void> deliver(Message message, int qos, boolean retain,
                                                                  int[] subscriptionIds) {
            return null;
        }

        // Identity, not value, equality: two sessions of one client id are different subscribers.
        @Override
        public boolean equals(Object o) {
            return this == o;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(this);
        }
    }
}
