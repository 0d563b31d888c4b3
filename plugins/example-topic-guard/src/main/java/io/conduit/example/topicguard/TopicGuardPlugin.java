package io.conduit.example.topicguard;

import io.conduit.api.Plugin;
import io.conduit.api.PluginContext;
import io.conduit.api.hooks.Authorizer;
import io.conduit.api.hooks.Decision;
import io.conduit.api.hooks.NonBlocking;
import io.conduit.api.hooks.PublishInterceptor;
import io.conduit.api.mqtt.ClientInfo;
import io.conduit.api.mqtt.PublishPacket;
import io.conduit.api.services.Metrics;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * An example plugin: refuses publishing and subscribing to the topic filters in {@code deny}, and moves messages
 * published under {@code rewrite-from} to {@code rewrite-to}, tagging them with a user property. Everything here
 * answers from memory, so the hooks complete at once: {@link NonBlocking} lets the broker call them on its network
 * threads instead of handing every message to the plugin's threads.
 */
@NonBlocking
public final class TopicGuardPlugin implements Plugin, Authorizer, PublishInterceptor {

    private List<String> denied;
    private String rewriteFrom;
    private String rewriteTo;
    private Metrics.Counter refusals;

    @Override
    public void start(PluginContext context) {
        denied = Arrays.stream(context.config().getOrDefault("deny", "").split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).toList();
        rewriteFrom = context.config().getOrDefault("rewrite-from", "");
        rewriteTo = context.config().getOrDefault("rewrite-to", "");
        refusals = context.metrics().counter("topic_guard.refusals", "publishes and subscriptions refused");
        context.addAuthorizer(this);
        context.addPublishInterceptor(this);
        context.logger().log(System.Logger.Level.INFO, "denying " + denied
                + (rewriteFrom.isEmpty() ? "" : ", rewriting " + rewriteFrom + " to " + rewriteTo));
    }

    @Override
    public CompletionStage<Decision> authorizePublish(ClientInfo client, String topic, int qos, boolean retain) {
        return CompletableFuture.completedFuture(check(topic, false));
    }

    @Override
    public CompletionStage<Decision> authorizeSubscribe(ClientInfo client, String topicFilter, int qos) {
        return CompletableFuture.completedFuture(check(topicFilter, true));
    }

    private Decision check(String topicOrFilter, boolean isFilter) {
        for (String filter : denied) {
            if (isFilter ? overlaps(filter, topicOrFilter) : TopicFilters.matches(filter, topicOrFilter)) {
                refusals.increment();
                return Decision.deny(topicOrFilter + " is guarded by " + filter);
            }
        }
        return Decision.next();
    }

    /** A subscription is refused when it could receive anything the guarded filter covers. */
    private static boolean overlaps(String guarded, String requested) {
        return TopicFilters.matches(guarded, requested) || TopicFilters.matches(requested, guardedSample(guarded));
    }

    // A topic the guarded filter matches, with its wildcards filled in, to see whether a wildcard subscription reaches it.
    private static String guardedSample(String filter) {
        return filter.replace("/#", "/x").replace("#", "x").replace("+", "x");
    }

    @Override
    public CompletionStage<PublishAction> onPublish(ClientInfo client, PublishPacket packet) {
        if (rewriteFrom.isEmpty() || !packet.topic().startsWith(rewriteFrom)) {
            return CompletableFuture.completedFuture(PublishAction.proceed(packet));
        }
        PublishPacket moved = packet.toBuilder()
                .topic(rewriteTo + packet.topic().substring(rewriteFrom.length()))
                .userProperty("rewritten-from", packet.topic())
                .build();
        return CompletableFuture.completedFuture(PublishAction.proceed(moved));
    }
}
