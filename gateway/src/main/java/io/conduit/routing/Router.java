package io.conduit.routing;

import io.conduit.metrics.BrokerMetrics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The post office: stores retained messages and hands each publish to every matching subscriber. This is the seam
 * a cluster will extend with remote subscribers; the rest of the broker only calls {@link #publish}.
 */
@ApplicationScoped
public class Router {

    private final SubscriptionTree tree = new SubscriptionTree();

    @Inject
    RetainedStore retained;

    @Inject
    BrokerMetrics metrics;

    /**
     * What became of a publish: how many subscriptions it went to, and a stage that completes once every durable copy
     * (retained message, queues of persistent sessions) has been written, or null when there was nothing to write.
     */
    public record Routed(int subscribers, CompletionStage<Void> durable) {
    }

    public Routed publish(Message message) {
        CompletionStage<Void> durable = null;
        if (message.retain()) {
            durable = retained.put(message);
        }
        List<SubscriptionTree.Target> targets = tree.match(message.topic(), message.publisherId());
        for (SubscriptionTree.Target t : targets) {
            // MQTT 5.0 section 3.3.1.3: RETAIN is cleared towards existing subscriptions unless Retain As Published.
            boolean retainFlag = message.retain() && t.retainAsPublished();
            CompletionStage<Void> copy = t.subscriber().deliver(message, Math.min(message.qos(), t.qos()), retainFlag,
                    t.subscriptionIds());
            durable = both(durable, copy);
        }
        return new Routed(targets.size(), durable);
    }

    private static CompletionStage<Void> both(CompletionStage<Void> a, CompletionStage<Void> b) {
        // A copy refused at once decides at once: the publisher is told, whatever the other copies still wait for.
        if (a != null && a.toCompletableFuture().isCompletedExceptionally()) {
            return a;
        }
        if (b != null && b.toCompletableFuture().isCompletedExceptionally()) {
            return b;
        }
        if (a == null || a.toCompletableFuture().isDone() && !a.toCompletableFuture().isCompletedExceptionally()) {
            return b;
        }
        if (b == null) {
            return a;
        }
        return a.thenCombine(b, (x, y) -> null);
    }

    public Subscription subscribe(Subscriber subscriber, Subscription subscription) {
        return tree.subscribe(subscriber, subscription);
    }

    public boolean unsubscribe(Subscriber owner, Subscription subscription) {
        return tree.unsubscribe(owner, subscription);
    }

    public List<Message> retained(String filter) {
        return retained.match(filter);
    }

    public int retainedCount() {
        return retained.size();
    }

    public int subscriptionCount() {
        return tree.size();
    }

    public SubscriptionTree tree() {
        return tree;
    }
}
