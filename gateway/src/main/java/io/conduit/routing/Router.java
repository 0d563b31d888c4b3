package io.conduit.routing;

import io.conduit.metrics.BrokerMetrics;
import io.quarkus.arc.ClientProxy;
import jakarta.annotation.PostConstruct;
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

    @Inject
    DeliveryInterceptor interceptor;

    @PostConstruct
    void resolve() {
        // Asked on every publish: the bean itself, not a client proxy that looks it up on each call.
        interceptor = ClientProxy.unwrap(interceptor);
    }

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
        boolean intercepted = interceptor.active();
        for (SubscriptionTree.Target t : targets) {
            // MQTT 5.0 section 3.3.1.3: RETAIN is cleared towards existing subscriptions unless Retain As Published.
            boolean retainFlag = message.retain() && t.retainAsPublished();
            int qos = Math.min(message.qos(), t.qos());
            Subscriber s = t.subscriber();
            int[] ids = t.subscriptionIds();
            CompletionStage<Void> copy = intercepted
                    ? interceptor.intercept(s, message, qos, retainFlag, (m, q, r) -> s.deliver(m, q, r, ids))
                    : s.deliver(message, qos, retainFlag, ids);
            durable = both(durable, copy);
        }
        return new Routed(targets.size(), durable);
    }

    /** Sends a new subscription the retained messages that match it, at the lower of their and its QoS. */
    public void sendRetained(Subscriber subscriber, Subscription subscription) {
        int[] ids = subscription.identifier() > 0 ? new int[] {subscription.identifier()} : new int[0];
        boolean intercepted = interceptor.active();
        for (Message m : retained(subscription.filter())) {
            int qos = Math.min(m.qos(), subscription.qos());
            if (intercepted) {
                interceptor.intercept(subscriber, m, qos, true, (changed, q, r) -> {
                    subscriber.deliverRetained(changed, q, ids);
                    return null;
                });
            } else {
                subscriber.deliverRetained(m, qos, ids);
            }
        }
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
