package io.conduit.routing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The topic index: a trie keyed by topic level, with '+' and '#' as ordinary children. A publish walks only the
 * branches that can match, so its cost depends on the topic depth and the number of matching subscriptions, not on
 * how many subscriptions exist.
 *
 * <p>Reads are lock-free (concurrent maps); writers serialise on the tree so that empty nodes can be pruned without
 * racing another writer. A reader racing a writer may see the subscription just before or just after the change,
 * which MQTT allows.
 */
public final class SubscriptionTree {

    private final Node root = new Node(null, null);
    private final AtomicInteger count = new AtomicInteger();

    /** Adds or replaces; returns the subscription it replaced, or {@code null} when it is new. */
    public synchronized Subscription subscribe(Subscriber subscriber, Subscription subscription) {
        Node node = root;
        for (String level : Topics.levels(subscription.filter())) {
            node = node.child(level);
        }
        Entry entry = new Entry(subscriber, subscription);
        Entry previous;
        if (subscription.shareGroup() == null) {
            previous = node.direct().put(subscription.clientId(), entry);
        } else {
            previous = node.shared().computeIfAbsent(subscription.shareGroup(), g -> new SharedGroup())
                    .members.put(subscription.clientId(), entry);
        }
        if (previous == null) {
            count.incrementAndGet();
            return null;
        }
        return previous.subscription;
    }

    /** Removes a subscription by client id, filter and share group; returns whether it existed. */
    public boolean unsubscribe(String clientId, String filter, String shareGroup) {
        return unsubscribe(null, clientId, filter, shareGroup);
    }

    /**
     * Removes a subscription only if it still belongs to {@code owner}: a session that ends must not remove the
     * subscription a newer session of the same client id made meanwhile.
     */
    public boolean unsubscribe(Subscriber owner, Subscription subscription) {
        return unsubscribe(owner, subscription.clientId(), subscription.filter(), subscription.shareGroup());
    }

    private synchronized boolean unsubscribe(Subscriber owner, String clientId, String filter, String shareGroup) {
        Node node = root;
        for (String level : Topics.levels(filter)) {
            node = node.children == null ? null : node.children.get(level);
            if (node == null) {
                return false;
            }
        }
        boolean removed;
        if (shareGroup == null) {
            removed = node.direct != null && remove(node.direct, clientId, owner);
        } else {
            SharedGroup group = node.shared == null ? null : node.shared.get(shareGroup);
            removed = group != null && remove(group.members, clientId, owner);
            if (group != null && group.members.isEmpty()) {
                node.shared.remove(shareGroup);
            }
        }
        if (removed) {
            count.decrementAndGet();
            prune(node);
        }
        return removed;
    }

    private static boolean remove(Map<String, Entry> entries, String clientId, Subscriber owner) {
        if (owner == null) {
            return entries.remove(clientId) != null;
        }
        Entry entry = entries.get(clientId);
        return entry != null && entry.subscriber == owner && entries.remove(clientId, entry);
    }

    public int size() {
        return count.get();
    }

    /**
     * Finds every subscriber of a topic. A client with several matching non-shared subscriptions gets one copy at the
     * highest of their QoS carrying all their identifiers (MQTT 5.0 section 3.3.4); each matching shared subscription
     * gets one copy, sent to one member of its group. Subscribers that may not receive the topic
     * ({@link Subscriber#mayReceive}) are left out; a shared group then picks another member.
     */
    public List<Target> match(String topic, String publisherId) {
        Collector collector = new Collector(publisherId, topic);
        String[] levels = Topics.levels(topic);
        boolean dollar = topic.startsWith("$");
        match(root, levels, 0, dollar, collector);
        return collector.targets();
    }

    private void match(Node node, String[] levels, int depth, boolean dollar, Collector collector) {
        Map<String, Node> children = node.children;
        if (depth == levels.length) {
            collector.collect(node);
            if (children != null) {
                Node hash = children.get("#");
                if (hash != null) {
                    collector.collect(hash);
                }
            }
            return;
        }
        if (children == null) {
            return;
        }
        // Wildcards at the first level never match $-topics (MQTT 5.0 section 4.7.2).
        boolean wildcardsAllowed = !(depth == 0 && dollar);
        if (wildcardsAllowed) {
            Node hash = children.get("#");
            if (hash != null) {
                collector.collect(hash);
            }
            Node plus = children.get("+");
            if (plus != null) {
                match(plus, levels, depth + 1, dollar, collector);
            }
        }
        Node exact = children.get(levels[depth]);
        if (exact != null) {
            match(exact, levels, depth + 1, dollar, collector);
        }
    }

    /** Visits every subscription in the tree (for listings; not for the hot path). */
    public void forEach(Consumer<Subscription> visitor) {
        forEach(root, visitor);
    }

    private void forEach(Node node, Consumer<Subscription> visitor) {
        if (node.direct != null) {
            node.direct.values().forEach(e -> visitor.accept(e.subscription));
        }
        if (node.shared != null) {
            node.shared.values().forEach(g -> g.members.values().forEach(e -> visitor.accept(e.subscription)));
        }
        if (node.children != null) {
            node.children.values().forEach(c -> forEach(c, visitor));
        }
    }

    private void prune(Node node) {
        while (node.parent != null && node.isEmpty()) {
            node.parent.children.remove(node.level, node);
            node = node.parent;
        }
    }

    /** One delivery the router must make. */
    public record Target(Subscriber subscriber, int qos, boolean retainAsPublished, int[] subscriptionIds) {
    }

    private record Entry(Subscriber subscriber, Subscription subscription) {
    }

    private static final class SharedGroup {
        final Map<String, Entry> members = new ConcurrentHashMap<>();
        final AtomicInteger next = new AtomicInteger();

        /** Round robin among the members that may receive the topic, preferring those connected now. */
        Entry pick(String topic) {
            Entry[] all = members.values().toArray(new Entry[0]);
            if (all.length == 0) {
                return null;
            }
            int start = Math.floorMod(next.getAndIncrement(), all.length);
            Entry offline = null;
            for (int i = 0; i < all.length; i++) {
                Entry candidate = all[(start + i) % all.length];
                if (!candidate.subscriber.mayReceive(topic)) {
                    continue;
                }
                if (candidate.subscriber.isOnline()) {
                    return candidate;
                }
                if (offline == null) {
                    offline = candidate;
                }
            }
            return offline;
        }
    }

    private static final class Node {
        final Node parent;
        final String level;
        volatile Map<String, Node> children;
        volatile Map<String, Entry> direct;
        volatile Map<String, SharedGroup> shared;

        Node(Node parent, String level) {
            this.parent = parent;
            this.level = level;
        }

        // Maps are created lazily: most nodes of a large tree are leaves with one kind of subscription.
        Node child(String childLevel) {
            if (children == null) {
                children = new ConcurrentHashMap<>(4);
            }
            return children.computeIfAbsent(childLevel, l -> new Node(this, l));
        }

        Map<String, Entry> direct() {
            if (direct == null) {
                direct = new ConcurrentHashMap<>(2);
            }
            return direct;
        }

        Map<String, SharedGroup> shared() {
            if (shared == null) {
                shared = new ConcurrentHashMap<>(2);
            }
            return shared;
        }

        boolean isEmpty() {
            return (children == null || children.isEmpty()) && (direct == null || direct.isEmpty())
                    && (shared == null || shared.isEmpty());
        }
    }

    private static final class Collector {
        private final String publisherId;
        private final String topic;
        private Target single;
        private Map<Subscriber, Target> merged;
        private List<Target> sharedTargets;

        Collector(String publisherId, String topic) {
            this.publisherId = publisherId;
            this.topic = topic;
        }

        void collect(Node node) {
            Map<String, Entry> direct = node.direct;
            if (direct != null && !direct.isEmpty()) {
                for (Entry e : direct.values()) {
                    Subscription s = e.subscription;
                    if (s.noLocal() && s.clientId().equals(publisherId) || !e.subscriber.mayReceive(topic)) {
                        continue;
                    }
                    add(new Target(e.subscriber, s.qos(), s.retainAsPublished(), ids(s)));
                }
            }
            Map<String, SharedGroup> shared = node.shared;
            if (shared != null && !shared.isEmpty()) {
                for (SharedGroup group : shared.values()) {
                    Entry e = group.pick(topic);
                    if (e != null) {
                        if (sharedTargets == null) {
                            sharedTargets = new ArrayList<>(2);
                        }
                        Subscription s = e.subscription;
                        sharedTargets.add(new Target(e.subscriber, s.qos(), s.retainAsPublished(), ids(s)));
                    }
                }
            }
        }

        private static int[] ids(Subscription s) {
            return s.identifier() > 0 ? new int[] {s.identifier()} : NO_IDS;
        }

        // The common case is one matching subscription per client: no map until a second target appears.
        private void add(Target t) {
            if (merged == null) {
                if (single == null) {
                    single = t;
                    return;
                }
                merged = new HashMap<>();
                merged.put(single.subscriber, single);
                single = null;
            }
            merged.merge(t.subscriber, t, Collector::combine);
        }

        private static Target combine(Target a, Target b) {
            int[] ids = a.subscriptionIds;
            if (b.subscriptionIds.length > 0) {
                ids = new int[a.subscriptionIds.length + b.subscriptionIds.length];
                System.arraycopy(a.subscriptionIds, 0, ids, 0, a.subscriptionIds.length);
                System.arraycopy(b.subscriptionIds, 0, ids, a.subscriptionIds.length, b.subscriptionIds.length);
            }
            return new Target(a.subscriber, Math.max(a.qos, b.qos), a.retainAsPublished || b.retainAsPublished, ids);
        }

        List<Target> targets() {
            List<Target> out;
            if (merged != null) {
                out = new ArrayList<>(merged.values());
            } else if (single != null) {
                out = new ArrayList<>(2);
                out.add(single);
            } else {
                out = new ArrayList<>(0);
            }
            if (sharedTargets != null) {
                out.addAll(sharedTargets);
            }
            return out;
        }
    }

    static final int[] NO_IDS = new int[0];
}
