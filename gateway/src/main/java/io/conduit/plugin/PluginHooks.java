package io.conduit.plugin;

import io.conduit.api.hooks.Authenticator;
import io.conduit.api.hooks.Decision;
import io.conduit.api.hooks.PublishInterceptor;
import io.conduit.api.mqtt.ClientInfo;
import io.conduit.api.mqtt.PublishPacket;
import io.conduit.config.ConduitConfig;
import io.conduit.routing.Message;
import io.conduit.security.AuthResult;
import io.conduit.security.ConnectRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.context.ManagedExecutor;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
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
 */
@ApplicationScoped
public class PluginHooks {

    private static final Logger LOG = Logger.getLogger(PluginHooks.class);

    @Inject
    PluginHost host;

    @Inject
    ConduitConfig config;

    // Results leave the plugin's threads here: whatever the broker does next must not run with the plugin's class
    // loader as context (CDI and the JDK look classes up through it) nor tie up the plugin's threads.
    @Inject
    ManagedExecutor results;

    /** The outcome of the publish chain: the message to route (null when dropped) or why it was refused. */
    public record Admission(Message message, int reasonCode, String reason) {
    }

    public boolean hasAuthenticators() {
        return host.ordered().stream().anyMatch(p -> !p.authenticators.isEmpty());
    }

    public boolean hasPublishHooks() {
        return host.ordered().stream().anyMatch(p -> !p.authorizers.isEmpty() || !p.publishInterceptors.isEmpty());
    }

    public boolean hasAuthorizers() {
        return host.ordered().stream().anyMatch(p -> !p.authorizers.isEmpty());
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
        Decision failure = denyOnFailure() ? Decision.deny(0x80, "authorization plugin failed") : Decision.next();
        return chain(host.ordered(), p -> p.authorizers,
                (p, a) -> invoke(p, () -> a.authorizePublish(client, message.topic(), message.qos(),
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
        List<LoadedPlugin> plugins = host.ordered();
        CompletableFuture<PublishInterceptor.PublishAction> result =
                CompletableFuture.completedFuture(null);
        PublishPacket original = null;
        for (LoadedPlugin p : plugins) {
            for (PublishInterceptor interceptor : p.publishInterceptors) {
                if (original == null) {
                    original = Packets.toPacket(message);
                    result = CompletableFuture.completedFuture(PublishInterceptor.PublishAction.proceed(original));
                }
                result = result.thenCompose(action -> {
                    if (action.dropped()) {
                        return CompletableFuture.completedFuture(action);
                    }
                    PublishInterceptor.PublishAction failure = denyOnFailure()
                            ? PublishInterceptor.PublishAction.drop(0x80, "interceptor plugin failed") : action;
                    return invoke(p, () -> interceptor.onPublish(client, action.packet()), failure);
                });
            }
        }
        PublishPacket unchanged = original;
        return result.thenApply(action -> {
            if (action == null || action.packet() == unchanged) {
                return new Admission(message, 0, null);
            }
            if (action.dropped()) {
                return new Admission(null, action.reasonCode(), action.reason());
            }
            return new Admission(Packets.toMessage(action.packet(), message.publisherId()), 0, null);
        });
    }

    /** Subscribe authorization for one filter; null when every authorizer passed. */
    public CompletionStage<Decision> authorizeSubscribe(ClientInfo client, String filter, int qos) {
        Decision failure = denyOnFailure() ? Decision.deny(0x80, "authorization plugin failed") : Decision.next();
        return chain(host.ordered(), p -> p.authorizers,
                (p, a) -> invoke(p, () -> a.authorizeSubscribe(client, filter, qos), failure),
                d -> d.outcome() != Decision.Outcome.NEXT);
    }

    public void connected(ClientInfo client, boolean sessionPresent) {
        for (LoadedPlugin p : host.ordered()) {
            p.connectionListeners.forEach(l -> invoke(p, () -> {
                l.onConnect(client, sessionPresent);
                return CompletableFuture.completedFuture(Boolean.TRUE);
            }, Boolean.FALSE));
        }
    }

    public void disconnected(ClientInfo client, boolean graceful) {
        for (LoadedPlugin p : host.ordered()) {
            p.connectionListeners.forEach(l -> invoke(p, () -> {
                l.onDisconnect(client, graceful);
                return CompletableFuture.completedFuture(Boolean.TRUE);
            }, Boolean.FALSE));
        }
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
