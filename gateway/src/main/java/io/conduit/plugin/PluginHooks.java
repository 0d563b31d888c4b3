package io.conduit.plugin;

import io.conduit.api.hooks.Authenticator;
import io.conduit.api.hooks.ConnectInterceptor;
import io.conduit.api.hooks.Decision;
import io.conduit.api.hooks.EnhancedAuthenticator;
import io.conduit.api.hooks.OutboundPublishInterceptor;
import io.conduit.api.hooks.PublishInterceptor;
import io.conduit.api.hooks.SessionListener;
import io.conduit.api.hooks.SubscribeInterceptor;
import io.conduit.api.hooks.UnsubscribeInterceptor;
import io.conduit.api.mqtt.ClientInfo;
import io.conduit.api.mqtt.ConnectPacket;
import io.conduit.api.mqtt.PublishPacket;
import io.conduit.api.mqtt.SubscriptionView;
import io.conduit.config.ConduitConfig;
import io.conduit.routing.DeliveryInterceptor;
import io.conduit.routing.Message;
import io.conduit.routing.Subscriber;
import io.conduit.routing.Subscription;
import io.conduit.security.AuthExchange;
import io.conduit.security.AuthResult;
import io.conduit.security.ConnectRequest;
import io.conduit.session.SessionEvents;
import io.quarkus.arc.ClientProxy;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.context.ManagedExecutor;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * The broker's way into the plugins: runs each hook chain in plugin priority order. Every call runs on the
 * plugin's own threads with a time limit; a hook that throws, times out or cannot be scheduled counts as an error of
 * its plugin and yields the configured fallback ({@code conduit.plugins.on-failure}), so a faulty plugin never
 * stalls the broker or other plugins. Callers get a stage and return to their event loop with the result.
 *
 * <p>Hooks of a {@link io.conduit.api.hooks.NonBlocking} class run on the caller's thread instead, with the plugin's
 * class loader as context: a stage they return already completed lets the caller go on without any thread switch.
 */
@ApplicationScoped
public class PluginHooks implements DeliveryInterceptor, SessionEvents {

    private static final Logger LOG = Logger.getLogger(PluginHooks.class);

    @Inject
    PluginHost host;

    @Inject
    ConduitConfig config;

    // Results leave the plugin's threads here: whatever the broker does next must not run with the plugin's class
    // loader as context (CDI and the JDK look classes up through it) nor tie up the plugin's threads.
    @Inject
    ManagedExecutor results;

    @PostConstruct
    void resolve() {
        // Asked several times per message: through its client proxy, each call would look the bean up in its context
        // (a fifth of the broker's CPU at full speed with one no-op interceptor).
        host = ClientProxy.unwrap(host);
    }

    private static final PublishInterceptor.PublishAction INBOUND_FAILED =
            PublishInterceptor.PublishAction.drop(0x80, "interceptor plugin failed");
    private static final PublishInterceptor.PublishAction OUTBOUND_FAILED =
            PublishInterceptor.PublishAction.drop(0x80, "outbound interceptor failed");

    /** The outcome of the publish chain: the message to route (null when dropped) or why it was refused. */
    public record Admission(Message message, int reasonCode, String reason) {
    }

    /** A message as plugins see it (the will of a CONNECT, for example). */
    public static PublishPacket toPacket(Message message) {
        return Packets.toPacket(message);
    }

    /** A message a plugin made or changed, as the broker routes it; {@code publisher} is its client id. */
    public static Message toMessage(PublishPacket packet, String publisher) {
        return Packets.toMessage(packet, publisher);
    }

    public boolean hasAuthenticators() {
        return host.present().authenticators();
    }

    public boolean hasPublishHooks() {
        PluginHost.Present p = host.present();
        return p.authorizers() || p.publishInterceptors();
    }

    public boolean hasAuthorizers() {
        return host.present().authorizers();
    }

    /** Whether SUBSCRIBE needs the plugins: authorizers or subscribe interceptors. */
    public boolean hasSubscribeHooks() {
        PluginHost.Present p = host.present();
        return p.authorizers() || p.subscribeInterceptors();
    }

    public boolean hasUnsubscribeInterceptors() {
        return host.present().unsubscribeInterceptors();
    }

    public boolean hasConnectInterceptors() {
        return host.present().connectInterceptors();
    }

    private boolean denyOnFailure() {
        return !"next".equalsIgnoreCase(config.plugins().onFailure());
    }

    /** Runs the authenticators; completes with null when every one passed (the broker's own rules decide). */
    public CompletionStage<AuthResult> authenticate(ConnectRequest request, ClientInfo client) {
        Authenticator.AuthInput input = new Authenticator.AuthInput(client,
                Optional.ofNullable(request.password()).map(byte[]::clone));
        Authenticator.AuthDecision failure = denyOnFailure()
                ? Authenticator.AuthDecision.deny(0x80, "authentication plugin failed")
                : Authenticator.AuthDecision.next();
        return chain(host.ordered(), p -> p.authenticators,
                (p, a) -> invoke(p, () -> a.authenticate(input), failure),
                d -> d.outcome() != Authenticator.AuthDecision.Outcome.NEXT)
                .thenApply(d -> d == null ? null : d.outcome() == Authenticator.AuthDecision.Outcome.ACCEPT
                        ? AuthResult.accept() : AuthResult.failure(d.reasonCode(), d.reason()));
    }

    /** Publish authorization, then the interceptors; the message may come out changed or not at all. */
    public CompletionStage<Admission> admitPublish(ClientInfo client, Message message) {
        if (!host.present().authorizers()) {
            return intercept(client, message);
        }
        Decision failure = denyOnFailure() ? Decision.deny(0x80, "authorization plugin failed") : Decision.next();
        return chain(host.ordered(), p -> p.authorizers,
                (p, a) -> invoke(p, a, () -> a.authorizePublish(client, message.topic(), message.qos(),
                        message.retain()), failure),
                d -> d.outcome() != Decision.Outcome.NEXT)
                .thenCompose(decision -> {
                    if (decision != null && decision.outcome() == Decision.Outcome.DENY) {
                        return CompletableFuture.completedFuture(
                                new Admission(null, decision.reasonCode(), decision.reason()));
                    }
                    return intercept(client, message);
                });
    }

    private CompletionStage<Admission> intercept(ClientInfo client, Message message) {
        if (!host.present().publishInterceptors()) {
            return CompletableFuture.completedFuture(new Admission(message, 0, null));
        }
        PublishPacket unchanged = Packets.toPacket(message);
        return pipe(p -> p.publishInterceptors, PublishInterceptor.PublishAction.proceed(unchanged),
                PublishInterceptor.PublishAction::dropped,
                action -> INBOUND_FAILED,
                (interceptor, action) -> interceptor.onPublish(client, action.packet())).thenApply(action -> {
            if (action.packet() == unchanged) {
                return new Admission(message, 0, null);
            }
            if (action.dropped()) {
                return new Admission(null, action.reasonCode(), action.reason());
            }
            return new Admission(Packets.toMessage(action.packet(), message.publisherId()), 0, null);
        });
    }

    /** The outcome of the subscribe chain for one filter: the subscription to make, or why it is refused. */
    public record SubscribeAdmission(Subscription subscription, int reasonCode, String reason) {
    }

    /**
     * Subscribe authorization, then the subscribe interceptors, for one filter that passed validation and the
     * broker's own rules.
     */
    public CompletionStage<SubscribeAdmission> admitSubscribe(ClientInfo client, Subscription requested,
                                                             int maxTopicLevels) {
        Decision failure = denyOnFailure() ? Decision.deny(0x80, "authorization plugin failed") : Decision.next();
        CompletionStage<Decision> authorized = !host.present().authorizers()
                ? CompletableFuture.completedFuture(null)
                : chain(host.ordered(), p -> p.authorizers,
                (p, a) -> invoke(p, a, () -> a.authorizeSubscribe(client, requested.key(), requested.qos()),
                        failure),
                d -> d.outcome() != Decision.Outcome.NEXT);
        return authorized.thenCompose(decision -> {
            if (decision != null && decision.outcome() == Decision.Outcome.DENY) {
                return CompletableFuture.completedFuture(
                        new SubscribeAdmission(null, decision.reasonCode(), decision.reason()));
            }
            if (!host.present().subscribeInterceptors()) {
                return CompletableFuture.completedFuture(new SubscribeAdmission(requested, 0, null));
            }
            return interceptSubscribe(client, requested, maxTopicLevels);
        });
    }

    private CompletionStage<SubscribeAdmission> interceptSubscribe(ClientInfo client, Subscription requested,
                                                                   int maxTopicLevels) {
        SubscriptionView original = Packets.toView(requested);
        return pipe(p -> p.subscribeInterceptors, SubscribeInterceptor.SubscribeAction.proceed(original),
                SubscribeInterceptor.SubscribeAction::refused,
                action -> SubscribeInterceptor.SubscribeAction.refuse(0x80, "subscribe interceptor failed"),
                (interceptor, action) -> interceptor.onSubscribe(client, action.subscription())).thenApply(action -> {
            if (action.refused()) {
                return new SubscribeAdmission(null, action.reasonCode(), action.reason());
            }
            SubscriptionView view = action.subscription();
            if (view == original) {
                return new SubscribeAdmission(requested, 0, null);
            }
            Subscription changed = Packets.toSubscription(requested.clientId(), view, maxTopicLevels);
            return changed == null ? new SubscribeAdmission(null, 0x8F, "a plugin made the topic filter invalid")
                    : new SubscribeAdmission(changed, 0, null);
        });
    }

    /** The unsubscribe interceptors for one filter; a DENY decision keeps the subscription. */
    public CompletionStage<Decision> interceptUnsubscribe(ClientInfo client, String filter) {
        Decision failure = denyOnFailure() ? Decision.deny(0x80, "unsubscribe interceptor failed") : Decision.next();
        return chain(host.ordered(), p -> p.unsubscribeInterceptors,
                (p, u) -> invoke(p, u, () -> u.onUnsubscribe(client, filter), failure),
                d -> d.outcome() == Decision.Outcome.DENY);
    }

    /** The connect interceptors; completes with what the session gets, or a refusal. */
    public CompletionStage<ConnectInterceptor.ConnectAction> interceptConnect(ConnectPacket connect) {
        return pipe(p -> p.connectInterceptors, ConnectInterceptor.ConnectAction.proceed(connect),
                ConnectInterceptor.ConnectAction::refused,
                action -> ConnectInterceptor.ConnectAction.refuse(0x80, "connect interceptor failed"),
                (interceptor, action) -> interceptor.onConnect(action.connect()));
    }

    // ---- outbound interceptors: the router's DeliveryInterceptor ------------------------------------------------

    /** The last delivery waiting for interceptors, per subscriber: later copies queue behind it. */
    private final Map<String, CompletableFuture<Void>> deliveryTails = new ConcurrentHashMap<>();

    @Override
    public boolean active() {
        return host.present().outboundInterceptors();
    }

    @Override
    public CompletionStage<Void> intercept(Subscriber subscriber, Message message, int qos, boolean retain,
                                           Delivery delivery) {
        PublishPacket original = Packets.toPacket(message, qos, retain);
        CompletableFuture<PublishInterceptor.PublishAction> decided = interceptOutbound(subscriber.clientId(),
                original);
        String key = subscriber.clientId();
        CompletableFuture<Void> turn = new CompletableFuture<>();
        CompletableFuture<Void> previous = deliveryTails.put(key, turn);
        if (previous == null && decided.isDone()) {
            // Nothing ahead of this copy and every interceptor answered at once: deliver on this thread.
            try {
                return deliverDecided(decided.join(), original, message, qos, retain, delivery);
            } finally {
                turn.complete(null);
                deliveryTails.remove(key, turn);
            }
        }
        CompletableFuture<PublishInterceptor.PublishAction> inTurn = previous == null ? decided
                : previous.thenCombine(decided, (ignored, action) -> action);
        return inTurn.handle((action, error) -> {
            try {
                if (error != null) {
                    LOG.warnf(error, "outbound interceptors failed; copy for %s dropped", key);
                    return null;
                }
                return deliverDecided(action, original, message, qos, retain, delivery);
            } finally {
                // Whatever happened, the next copy for this subscriber must not wait forever.
                turn.complete(null);
                deliveryTails.remove(key, turn);
            }
        }).thenCompose(stored -> stored == null ? CompletableFuture.completedFuture(null) : stored);
    }

    private CompletableFuture<PublishInterceptor.PublishAction> interceptOutbound(String subscriberId,
                                                                                PublishPacket packet) {
        return pipe(p -> p.outboundInterceptors, PublishInterceptor.PublishAction.proceed(packet),
                PublishInterceptor.PublishAction::dropped,
                action -> OUTBOUND_FAILED,
                (interceptor, action) -> interceptor.onOutboundPublish(subscriberId, action.packet()));
    }

    private static CompletionStage<Void> deliverDecided(PublishInterceptor.PublishAction action,
                                                        PublishPacket original, Message message, int qos,
                                                        boolean retain, Delivery delivery) {
        if (action.dropped()) {
            return null;
        }
        PublishPacket out = action.packet();
        if (out == original) {
            return delivery.deliver(message, qos, retain);
        }
        // A plugin may lower the QoS of this copy, never raise it above what the subscription granted.
        return delivery.deliver(Packets.toMessage(out, message.publisherId()), Math.min(qos, out.qos()),
                out.retain());
    }

    // ---- enhanced authentication -------------------------------------------------------------------------------

    /** The plugin method of that name with the highest priority, or null when no plugin offers it. */
    public io.conduit.security.EnhancedAuthenticator enhancedAuthenticator(String method) {
        if (!host.present().enhancedAuthenticators()) {
            return null;
        }
        for (LoadedPlugin p : host.ordered()) {
            EnhancedAuthenticator a = p.enhancedAuthenticators.get(method);
            if (a != null) {
                return new PluginEnhancedAuthenticator(p, a, method);
            }
        }
        return null;
    }

    /** A plugin's enhanced authentication method seen as the broker's own; every step is a plugin call. */
    private final class PluginEnhancedAuthenticator implements io.conduit.security.EnhancedAuthenticator {
        private final LoadedPlugin plugin;
        private final EnhancedAuthenticator authenticator;
        private final String method;

        PluginEnhancedAuthenticator(LoadedPlugin plugin, EnhancedAuthenticator authenticator, String method) {
            this.plugin = plugin;
            this.authenticator = authenticator;
            this.method = method;
        }

        @Override
        public String method() {
            return method;
        }

        @Override
        public AuthExchange begin(ConnectRequest request) {
            return exchange(request, false);
        }

        @Override
        public AuthExchange beginReauthentication(ConnectRequest request) {
            return exchange(request, true);
        }

        private AuthExchange exchange(ConnectRequest request, boolean reauthentication) {
            ClientInfo client = new ClientInfo(request.clientId(), Optional.ofNullable(request.username()),
                    request.protocolVersion(), request.remoteAddress() == null ? ""
                    : request.remoteAddress().toString().replaceFirst("^/", ""));
            EnhancedAuthenticator.AuthStep failure = EnhancedAuthenticator.AuthStep.failure(0x80,
                    "authentication plugin failed");
            return new AuthExchange() {
                // Made on the plugin's thread by the first step; steps come one at a time, in order.
                private volatile EnhancedAuthenticator.AuthConversation conversation;

                @Override
                public CompletionStage<Step> next(byte[] clientData) {
                    Optional<byte[]> data = Optional.ofNullable(clientData).map(byte[]::clone);
                    return invoke(plugin, authenticator, () -> {
                        if (conversation == null) {
                            conversation = authenticator.begin(client, reauthentication);
                        }
                        return conversation.next(data);
                    }, failure).thenApply(PluginHooks::toStep);
                }
            };
        }
    }

    private static AuthExchange.Step toStep(EnhancedAuthenticator.AuthStep step) {
        return switch (step.outcome()) {
            case CONTINUE -> new AuthExchange.Continue(step.data());
            case SUCCESS -> new AuthExchange.Success(step.data());
            case FAILURE -> new AuthExchange.Failure(step.reasonCode() >= 0x80 ? step.reasonCode() : 0x87,
                    step.reason());
        };
    }

    // ---- listeners -----------------------------------------------------------------------------------------

    public void connected(ClientInfo client, boolean sessionPresent) {
        if (!host.present().connectionListeners()) {
            return;
        }
        for (LoadedPlugin p : host.ordered()) {
            p.connectionListeners.forEach(l -> notify(p, l, () -> l.onConnect(client, sessionPresent)));
        }
    }

    public void disconnected(ClientInfo client, boolean graceful) {
        if (!host.present().connectionListeners()) {
            return;
        }
        for (LoadedPlugin p : host.ordered()) {
            p.connectionListeners.forEach(l -> notify(p, l, () -> l.onDisconnect(client, graceful)));
        }
    }

    @Override
    public boolean listening() {
        return host.present().sessionListeners();
    }

    @Override
    public void created(String clientId, boolean persistent) {
        sessionEvent(l -> l.onSessionCreated(clientId, persistent));
    }

    @Override
    public void resumed(String clientId) {
        sessionEvent(l -> l.onSessionResumed(clientId));
    }

    @Override
    public void ended(String clientId, boolean cleanStart) {
        SessionListener.EndReason reason = cleanStart ? SessionListener.EndReason.CLEAN_START
                : SessionListener.EndReason.EXPIRED;
        sessionEvent(l -> l.onSessionEnded(clientId, reason));
    }

    private void sessionEvent(java.util.function.Consumer<SessionListener> event) {
        for (LoadedPlugin p : host.ordered()) {
            p.sessionListeners.forEach(l -> notify(p, l, () -> event.accept(l)));
        }
    }

    /** Tells a listener, with the limits and counting of any hook; nothing waits for it. */
    private void notify(LoadedPlugin plugin, Object listener, Runnable call) {
        invoke(plugin, listener, () -> {
            call.run();
            return CompletableFuture.completedFuture(Boolean.TRUE);
        }, Boolean.FALSE);
    }

    /**
     * Passes an action through every hook of a kind in priority order, each getting what the previous one returned,
     * until one ends it ({@code ends}). A failed hook yields {@code failure} of the action it got when failures
     * deny, else that action unchanged.
     */
    private <H, A> CompletableFuture<A> pipe(Function<LoadedPlugin, List<H>> hooksOf, A start,
                                             java.util.function.Predicate<A> ends,
                                             java.util.function.UnaryOperator<A> failure,
                                             java.util.function.BiFunction<H, A, CompletionStage<A>> call) {
        boolean deny = denyOnFailure();
        CompletableFuture<A> result = CompletableFuture.completedFuture(start);
        for (LoadedPlugin p : host.ordered()) {
            for (H hook : hooksOf.apply(p)) {
                result = result.thenCompose(action -> ends.test(action) ? CompletableFuture.completedFuture(action)
                        : invoke(p, hook, () -> call.apply(hook, action), deny ? failure.apply(action) : action));
            }
        }
        return result;
    }

    /** A step of a chain: one hook of one plugin. */
    @FunctionalInterface
    private interface Step<H, R> {
        CompletableFuture<R> call(LoadedPlugin plugin, H hook);
    }

    /**
     * Calls the hooks one after another until one gives a deciding answer; completes with it, or with null when none
     * decided.
     */
    private static <H, R> CompletableFuture<R> chain(List<LoadedPlugin> plugins,
                                                     Function<LoadedPlugin, List<H>> hooksOf, Step<H, R> step,
                                                     java.util.function.Predicate<R> decides) {
        CompletableFuture<R> result = CompletableFuture.completedFuture(null);
        for (LoadedPlugin p : plugins) {
            for (H hook : hooksOf.apply(p)) {
                result = result.thenCompose(decided -> decided != null && decides.test(decided)
                        ? CompletableFuture.completedFuture(decided)
                        : step.call(p, hook).thenApply(r -> r != null && decides.test(r) ? r : null));
            }
        }
        return result;
    }

    /** Runs one hook on its plugin's threads with the time limit; any failure yields {@code fallback}. */
    <T> CompletableFuture<T> invoke(LoadedPlugin plugin, Callable<CompletionStage<T>> hook, T fallback) {
        return invoke(plugin, null, hook, fallback);
    }

    /**
     * Runs one call of {@code hookObject} with the time limit, on the caller's thread when the hook is
     * {@link io.conduit.api.hooks.NonBlocking}, else on its plugin's threads; any failure yields {@code fallback}.
     */
    <T> CompletableFuture<T> invoke(LoadedPlugin plugin, Object hookObject, Callable<CompletionStage<T>> hook,
                                    T fallback) {
        if (hookObject != null && plugin.runsInline(hookObject)) {
            return invokeInline(plugin, hookObject, hook, fallback);
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        plugin.callCount.increment();
        try {
            plugin.calls.execute(() -> {
                try {
                    CompletionStage<T> stage = hook.call();
                    if (stage == null) {
                        result.completeExceptionally(new IllegalStateException("hook returned null"));
                    } else {
                        stage.whenComplete((value, error) -> {
                            if (error != null) {
                                result.completeExceptionally(error);
                            } else {
                                result.complete(value);
                            }
                        });
                    }
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(e);
        }
        return limited(plugin, result, fallback);
    }

    private <T> CompletableFuture<T> invokeInline(LoadedPlugin plugin, Object hookObject,
                                                  Callable<CompletionStage<T>> hook, T fallback) {
        plugin.callCount.increment();
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(plugin.classLoader);
        long start = System.nanoTime();
        CompletionStage<T> stage;
        try {
            stage = hook.call();
        } catch (Throwable t) {
            return failed(plugin, t, fallback);
        } finally {
            thread.setContextClassLoader(previous);
        }
        long took = System.nanoTime() - start;
        long limit = config.plugins().callTimeout().toNanos();
        if (took > limit) {
            // It blocked a network thread once: from now on it gets the plugin's threads like any other hook.
            plugin.demote(hookObject);
            plugin.timeouts.increment();
            plugin.lastError = "@NonBlocking hook took " + took / 1_000_000 + " ms, more than the limit; it now runs"
                    + " on the plugin's threads";
            LOG.warnf("plugin %s: %s", plugin.id(), plugin.lastError);
            return CompletableFuture.completedFuture(fallback);
        }
        if (stage == null) {
            return failed(plugin, new IllegalStateException("hook returned null"), fallback);
        }
        CompletableFuture<T> future;
        try {
            future = stage.toCompletableFuture();
        } catch (UnsupportedOperationException e) {
            future = new CompletableFuture<>();
            CompletableFuture<T> target = future;
            stage.whenComplete((value, error) -> {
                if (error != null) {
                    target.completeExceptionally(error);
                } else {
                    target.complete(value);
                }
            });
        }
        if (future.isDone()) {
            T value = future.isCompletedExceptionally() ? null : future.join();
            if (value != null) {
                return CompletableFuture.completedFuture(value);
            }
            return failed(plugin, future.isCompletedExceptionally() ? future.handle((v, e) -> e).join() : null,
                    fallback);
        }
        // The hook went asynchronous after all: wait for it with the time limit, off this thread.
        return limited(plugin, future.thenApply(v -> v), fallback);
    }

    private <T> CompletableFuture<T> failed(LoadedPlugin plugin, Throwable error, T fallback) {
        plugin.errors.increment();
        plugin.lastError = String.valueOf(error == null ? "hook returned no answer" : error);
        LOG.debugf("plugin %s: %s", plugin.id(), plugin.lastError);
        return CompletableFuture.completedFuture(fallback);
    }

    /** Applies the time limit to a hook's answer; the result continues on the gateway's worker threads. */
    private <T> CompletableFuture<T> limited(LoadedPlugin plugin, CompletableFuture<T> result, T fallback) {
        long timeout = config.plugins().callTimeout().toMillis();
        return result.orTimeout(timeout, TimeUnit.MILLISECONDS).handleAsync((value, error) -> {
            if (error == null && value != null) {
                return value;
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause()
                    : error;
            if (cause instanceof TimeoutException) {
                plugin.timeouts.increment();
                plugin.lastError = "hook took longer than " + timeout + " ms";
            } else {
                plugin.errors.increment();
                plugin.lastError = String.valueOf(cause == null ? "hook returned no answer" : cause);
            }
            LOG.debugf("plugin %s: %s", plugin.id(), plugin.lastError);
            return fallback;
        }, results);
    }
}
