package io.conduit.routing;

import io.conduit.metrics.BrokerMetrics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.List;

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

    /** Routes a message; returns how many subscriptions it went to. */
    public int publish(Message message) {
        if (message.retain()) {
            retained.put(message);
        }
        List<SubscriptionTree.Target> targets = tree.match(message.topic(), message.publisherId());
        for (SubscriptionTree.Target t : targets) {
            // MQTT 5.0 section 3.3.1.3: RETAIN is cleared towards existing subscriptions unless Retain As Published.
            boolean retainFlag = message.retain() && t.retainAsPublished();
            t.subscriber().deliver(message, Math.min(message.qos(), t.qos()), retainFlag, t.subscriptionIds());
        }
        return targets.size();
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
