package io.conduit.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Retained messages in a trie of topic names, so that a wildcard subscription visits only the branches it can
 * match instead of every retained topic. Writers serialise (to prune emptied branches); readers do not lock.
 */
public final class InMemoryRetainedStore implements RetainedStore {

    private final Node root = new Node(null, null);
    private final AtomicInteger count = new AtomicInteger();
    /** Told about each expired message a read found and removed; a durable store deletes its row. */
    private volatile Consumer<Message> onExpired = m -> { };

    private static final CompletionStage<Void> DONE = CompletableFuture.completedFuture(null);

    @Override
    public CompletionStage<Void> put(Message message) {
        update(message);
        return DONE;
    }

    public void onExpired(Consumer<Message> listener) {
        this.onExpired = listener;
    }

    /** Applies a change to the trie; for stores that keep the trie as their read cache. */
    public synchronized void update(Message message) {
        String[] levels = Topics.levels(message.topic());
        if (message.payload().length == 0) {
            remove(levels, null);
            return;
        }
        Node node = root;
        for (String level : levels) {
            Node parent = node;
            node = parent.children.computeIfAbsent(level, l -> new Node(parent, l));
        }
        if (node.message == null) {
            count.incrementAndGet();
        }
        node.message = message;
    }

    /** Clears the topic's node; only if it still holds {@code expected}, unless that is null. */
    private boolean remove(String[] levels, Message expected) {
        Node node = root;
        for (String level : levels) {
            node = node.children.get(level);
            if (node == null) {
                return false;
            }
        }
        if (node.message == null || expected != null && node.message != expected) {
            return false;
        }
        node.message = null;
        count.decrementAndGet();
        while (node.parent != null && node.message == null && node.children.isEmpty()) {
            node.parent.children.remove(node.level, node);
            node = node.parent;
        }
        return true;
    }

    @Override
    public List<Message> match(String filter) {
        List<Message> out = new ArrayList<>();
        List<Message> expired = new ArrayList<>(0);
        collect(root, Topics.levels(filter), 0, System.nanoTime(), out, expired);
        if (!expired.isEmpty()) {
            removeExpired(expired);
        }
        return out;
    }

    /** Expired messages leave when a read comes across them, unless a newer one took their place meanwhile. */
    private void removeExpired(List<Message> expired) {
        List<Message> removed = new ArrayList<>(expired.size());
        synchronized (this) {
            for (Message m : expired) {
                if (remove(Topics.levels(m.topic()), m)) {
                    removed.add(m);
                }
            }
        }
        removed.forEach(onExpired);
    }

    private void collect(Node node, String[] filter, int depth, long now, List<Message> out,
                         List<Message> expired) {
        if (depth == filter.length) {
            add(node, now, out, expired);
            return;
        }
        String level = filter[depth];
        boolean skipDollar = depth == 0;
        if (level.equals("#")) {
            // "a/#" also matches "a" itself.
            add(node, now, out, expired);
            for (Map.Entry<String, Node> child : node.children.entrySet()) {
                if (!(skipDollar && child.getKey().startsWith("$"))) {
                    collectAll(child.getValue(), now, out, expired);
                }
            }
        } else if (level.equals("+")) {
            for (Map.Entry<String, Node> child : node.children.entrySet()) {
                if (!(skipDollar && child.getKey().startsWith("$"))) {
                    collect(child.getValue(), filter, depth + 1, now, out, expired);
                }
            }
        } else {
            Node child = node.children.get(level);
            if (child != null) {
                collect(child, filter, depth + 1, now, out, expired);
            }
        }
    }

    private void collectAll(Node node, long now, List<Message> out, List<Message> expired) {
        add(node, now, out, expired);
        for (Node child : node.children.values()) {
            collectAll(child, now, out, expired);
        }
    }

    private static void add(Node node, long now, List<Message> out, List<Message> expired) {
        Message m = node.message;
        if (m == null) {
            return;
        }
        if (m.isExpired(now)) {
            expired.add(m);
        } else {
            out.add(m);
        }
    }

    @Override
    public int size() {
        return count.get();
    }

    private static final class Node {
        final Node parent;
        final String level;
        final Map<String, Node> children = new ConcurrentHashMap<>(4);
        volatile Message message;

        Node(Node parent, String level) {
            this.parent = parent;
            this.level = level;
        }
    }
}
