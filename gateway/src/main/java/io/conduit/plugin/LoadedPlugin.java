package io.conduit.plugin;

import io.conduit.api.Plugin;
import io.conduit.api.PluginDescriptor;
import io.conduit.api.hooks.Authenticator;
import io.conduit.api.hooks.Authorizer;
import io.conduit.api.hooks.ConnectInterceptor;
import io.conduit.api.hooks.ConnectionListener;
import io.conduit.api.hooks.EnhancedAuthenticator;
import io.conduit.api.hooks.NonBlocking;
import io.conduit.api.hooks.OutboundPublishInterceptor;
import io.conduit.api.hooks.PublishInterceptor;
import io.conduit.api.hooks.SessionListener;
import io.conduit.api.hooks.SubscribeInterceptor;
import io.conduit.api.hooks.UnsubscribeInterceptor;

import java.nio.file.Path;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.LongAdder;

/** One plugin as loaded: its class loader, instance, hooks, threads and health counters. */
final class LoadedPlugin {

    enum State { STARTED, DISABLED, FAILED }

    final PluginDescriptor descriptor;
    final Path source;
    final long sourceModified;
    final PluginClassLoader classLoader;
    final Plugin instance;
    final ExecutorService calls;
    final ScheduledExecutorService scheduler;
    final List<Authenticator> authenticators = new CopyOnWriteArrayList<>();
    final List<Authorizer> authorizers = new CopyOnWriteArrayList<>();
    final List<PublishInterceptor> publishInterceptors = new CopyOnWriteArrayList<>();
    final List<ConnectionListener> connectionListeners = new CopyOnWriteArrayList<>();
    final List<ConnectInterceptor> connectInterceptors = new CopyOnWriteArrayList<>();
    final List<OutboundPublishInterceptor> outboundInterceptors = new CopyOnWriteArrayList<>();
    final List<SubscribeInterceptor> subscribeInterceptors = new CopyOnWriteArrayList<>();
    final List<UnsubscribeInterceptor> unsubscribeInterceptors = new CopyOnWriteArrayList<>();
    final List<SessionListener> sessionListeners = new CopyOnWriteArrayList<>();
    /** By method name, read once at registration: method() is plugin code and must not run on an event loop. */
    final Map<String, EnhancedAuthenticator> enhancedAuthenticators = new ConcurrentHashMap<>();
    /**
     * {@link NonBlocking} hooks that overran the time limit once: they run on the plugin's threads from then on.
     * Replaced, never changed, so that the check on every call takes no lock.
     */
    private volatile Set<Object> demoted = Set.of();
    final LongAdder callCount = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder timeouts = new LongAdder();
    volatile State state = State.STARTED;
    volatile String lastError;

    LoadedPlugin(PluginDescriptor descriptor, Path source, long sourceModified, PluginClassLoader classLoader,
                 Plugin instance, ExecutorService calls, ScheduledExecutorService scheduler) {
        this.descriptor = descriptor;
        this.source = source;
        this.sourceModified = sourceModified;
        this.classLoader = classLoader;
        this.instance = instance;
        this.calls = calls;
        this.scheduler = scheduler;
    }

    String id() {
        return descriptor.id();
    }

    boolean active() {
        return state == State.STARTED;
    }

    void clearHooks() {
        authenticators.clear();
        authorizers.clear();
        publishInterceptors.clear();
        connectionListeners.clear();
        connectInterceptors.clear();
        outboundInterceptors.clear();
        subscribeInterceptors.clear();
        unsubscribeInterceptors.clear();
        sessionListeners.clear();
        enhancedAuthenticators.clear();
        demoted = Set.of();
    }

    private static final ClassValue<Boolean> NON_BLOCKING = new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> type) {
            return type.isAnnotationPresent(NonBlocking.class);
        }
    };

    /** Whether a hook is called on the caller's (network) thread rather than on the plugin's threads. */
    boolean runsInline(Object hook) {
        Set<Object> slow = demoted;
        return NON_BLOCKING.get(hook.getClass()) && (slow.isEmpty() || !slow.contains(hook));
    }

    synchronized void demote(Object hook) {
        Set<Object> more = Collections.newSetFromMap(new IdentityHashMap<>());
        more.addAll(demoted);
        more.add(hook);
        demoted = Collections.unmodifiableSet(more);
    }
}
