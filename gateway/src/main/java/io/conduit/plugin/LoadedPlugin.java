package io.conduit.plugin;

import io.conduit.api.Plugin;
import io.conduit.api.PluginDescriptor;
import io.conduit.api.hooks.Authenticator;
import io.conduit.api.hooks.Authorizer;
import io.conduit.api.hooks.ConnectionListener;
import io.conduit.api.hooks.PublishInterceptor;

import java.nio.file.Path;
import java.util.List;
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
    }
}
