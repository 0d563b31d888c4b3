package io.conduit.plugin;

import io.conduit.api.ApiVersion;
import io.conduit.api.Plugin;
import io.conduit.api.PluginDescriptor;
import io.conduit.config.ConduitConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Loads plugins from the plugins directory, each in its own class loader and threads, starts and stops them, and
 * keeps the hook chains the broker calls through {@link PluginHooks}. Jars added, replaced or removed while the
 * gateway runs are loaded, reloaded or unloaded without touching unrelated clients.
 */
@ApplicationScoped
public class PluginHost {

    private static final Logger LOG = Logger.getLogger(PluginHost.class);
    static final String DESCRIPTOR = "META-INF/conduit-plugin.properties";
    private static final long START_TIMEOUT_SECONDS = 30;

    @Inject
    ConduitConfig config;

    @Inject
    PluginServices services;

    private final Map<String, LoadedPlugin> plugins = new ConcurrentHashMap<>();
    private volatile List<LoadedPlugin> ordered = List.of();
    private volatile Present present = Present.NONE;
    private final Object presentLock = new Object();
    private WatchService watcher;
    private Thread watchThread;

    // Loaded before the listeners open, so that no client slips past a security plugin at startup.
    void start(@Observes @Priority(1) StartupEvent event) {
        Path dir = directory();
        if (!Files.isDirectory(dir)) {
            LOG.debugf("no plugins directory %s", dir.toAbsolutePath());
        } else {
            try (Stream<Path> entries = Files.list(dir)) {
                entries.filter(PluginHost::isPluginSource).sorted().forEach(this::loadQuietly);
            } catch (IOException e) {
                LOG.errorf(e, "cannot read plugins directory %s", dir);
            }
        }
        if (config.plugins().watch()) {
            watch(dir);
        }
    }

    void stop(@Observes ShutdownEvent event) {
        if (watcher != null) {
            try {
                watcher.close();
            } catch (IOException ignored) {
                // Closing anyway.
            }
        }
        new ArrayList<>(plugins.keySet()).forEach(this::unload);
    }

    Path directory() {
        return Path.of(config.plugins().dir());
    }

    /** A jar, or a folder holding jars (a plugin with its libraries); folders without jars (sources) are not. */
    private static boolean isPluginSource(Path p) {
        if (Files.isRegularFile(p)) {
            return p.toString().endsWith(".jar");
        }
        if (!Files.isDirectory(p) || p.getFileName().toString().equals("data")) {
            return false;
        }
        try (Stream<Path> files = Files.list(p)) {
            return files.anyMatch(f -> f.toString().endsWith(".jar"));
        } catch (IOException e) {
            return false;
        }
    }

    private void loadQuietly(Path source) {
        try {
            load(source);
        } catch (Exception e) {
            LOG.errorf("plugin %s not loaded: %s", source.getFileName(), e.getMessage());
        }
    }

    /** Loads and starts the plugin in a jar, or in a folder of jars; replaces a loaded plugin with the same id. */
    public synchronized PluginInfo load(Path source) throws Exception {
        URL[] jars = jarsOf(source);
        PluginClassLoader loader = null;
        boolean registered = false;
        try {
            Properties props = new Properties();
            URL descriptorUrl = null;
            try (java.net.URLClassLoader probe = new java.net.URLClassLoader(jars, null)) {
                descriptorUrl = probe.findResource(DESCRIPTOR);
                if (descriptorUrl == null) {
                    throw new IllegalArgumentException("no " + DESCRIPTOR + " in " + source.getFileName());
                }
                try (InputStream in = descriptorUrl.openStream()) {
                    props.load(in);
                }
            }
            PluginDescriptor descriptor = descriptor(props, source);
            if (!ApiVersion.supports(descriptor.apiVersion())) {
                throw new IllegalArgumentException("plugin " + descriptor.id() + " needs plugins-api "
                        + descriptor.apiVersion() + ", this gateway has " + ApiVersion.CURRENT);
            }
            if (plugins.containsKey(descriptor.id())) {
                unload(descriptor.id());
            }
            loader = new PluginClassLoader(descriptor.id(), jars, Plugin.class.getClassLoader());
            LoadedPlugin plugin = create(descriptor, source, loader);
            plugins.put(descriptor.id(), plugin);
            registered = true;
            startInstance(plugin);
            reorder();
            LOG.infof("plugin %s %s loaded from %s (%s)", descriptor.id(), descriptor.version(),
                    source.getFileName(), plugin.state);
            return PluginInfo.of(plugin);
        } catch (Exception | LinkageError e) {
            if (loader != null && !registered) {
                closeQuietly(loader);
            }
            throw e instanceof Exception ex ? ex : new IllegalStateException(e);
        }
    }

    private LoadedPlugin create(PluginDescriptor descriptor, Path source, PluginClassLoader loader)
            throws Exception {
        Class<?> main = Class.forName(descriptor.mainClass(), true, loader);
        if (!Plugin.class.isAssignableFrom(main)) {
            throw new IllegalArgumentException(descriptor.mainClass() + " does not implement " + Plugin.class.getName());
        }
        Plugin instance = (Plugin) main.getDeclaredConstructor().newInstance();
        int threads = config.plugins().threads();
        // Bounded: a plugin that cannot keep up gets its calls refused (and the fallback applies), not a backlog.
        ExecutorService calls = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(10_000), daemon("plugin-" + descriptor.id(), loader),
                new ThreadPoolExecutor.AbortPolicy());
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
                daemon("plugin-" + descriptor.id() + "-scheduler", loader));
        long modified = Files.getLastModifiedTime(source).toMillis();
        return new LoadedPlugin(descriptor, source, modified, loader, instance, calls, scheduler);
    }

    private void startInstance(LoadedPlugin plugin) {
        plugin.state = LoadedPlugin.State.STARTED;
        Future<?> started = plugin.calls.submit(() -> {
            plugin.instance.start(new PluginContextImpl(plugin, services, config, directory(),
                    this::refreshPresent));
            return null;
        });
        try {
            started.get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            started.cancel(true);
            Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
            plugin.state = LoadedPlugin.State.FAILED;
            plugin.lastError = "start failed: " + cause;
            plugin.clearHooks();
            LOG.errorf(cause, "plugin %s failed to start", plugin.id());
        }
    }

    /** Stops a plugin and removes it with its hooks; other plugins and clients are not touched. */
    public synchronized boolean unload(String id) {
        LoadedPlugin plugin = plugins.remove(id);
        if (plugin == null) {
            return false;
        }
        stopInstance(plugin);
        plugin.calls.shutdownNow();
        plugin.scheduler.shutdownNow();
        closeQuietly(plugin.classLoader);
        reorder();
        LOG.infof("plugin %s unloaded", id);
        return true;
    }

    private void stopInstance(LoadedPlugin plugin) {
        plugin.clearHooks();
        if (plugin.state == LoadedPlugin.State.STARTED) {
            Future<?> stopped = plugin.calls.submit(() -> {
                plugin.instance.stop();
                return null;
            });
            try {
                stopped.get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (Exception e) {
                stopped.cancel(true);
                LOG.warnf("plugin %s did not stop cleanly: %s", plugin.id(), e);
            }
        }
    }

    /** Stops the plugin's hooks but keeps it loaded, so that it can be enabled again. */
    public synchronized PluginInfo disable(String id) {
        LoadedPlugin plugin = require(id);
        stopInstance(plugin);
        plugin.state = LoadedPlugin.State.DISABLED;
        reorder();
        LOG.infof("plugin %s disabled", id);
        return PluginInfo.of(plugin);
    }

    /** Starts a disabled (or failed) plugin again, as a fresh load from its jar. */
    public synchronized PluginInfo enable(String id) throws Exception {
        LoadedPlugin plugin = require(id);
        if (plugin.state == LoadedPlugin.State.STARTED) {
            return PluginInfo.of(plugin);
        }
        return load(plugin.source);
    }

    /** Loads the plugin's jar again, with a new class loader: picks up a replaced jar. */
    public synchronized PluginInfo reload(String id) throws Exception {
        return load(require(id).source);
    }

    private LoadedPlugin require(String id) {
        LoadedPlugin plugin = plugins.get(id);
        if (plugin == null) {
            throw new java.util.NoSuchElementException("no plugin " + id);
        }
        return plugin;
    }

    public Collection<PluginInfo> list() {
        return plugins.values().stream().sorted(Comparator.comparing(LoadedPlugin::id)).map(PluginInfo::of).toList();
    }

    public PluginInfo get(String id) {
        return PluginInfo.of(require(id));
    }

    /** Active plugins, highest priority first: the order of every hook chain. */
    List<LoadedPlugin> ordered() {
        return ordered;
    }

    private void reorder() {
        ordered = plugins.values().stream().filter(LoadedPlugin::active)
                .sorted(Comparator.comparingInt((LoadedPlugin p) -> p.descriptor.priority()).reversed()
                        .thenComparing(LoadedPlugin::id))
                .toList();
        refreshPresent();
    }

    /**
     * Which kinds of hook the active plugins have, so that the broker skips a hook family at the cost of one volatile
     * read when no plugin has one.
     */
    record Present(boolean authenticators, boolean enhancedAuthenticators, boolean authorizers,
                   boolean connectInterceptors, boolean publishInterceptors, boolean outboundInterceptors,
                   boolean subscribeInterceptors, boolean unsubscribeInterceptors, boolean connectionListeners,
                   boolean sessionListeners) {

        static final Present NONE = new Present(false, false, false, false, false, false, false, false, false, false);

        static Present of(List<LoadedPlugin> plugins) {
            boolean[] f = new boolean[10];
            for (LoadedPlugin p : plugins) {
                f[0] |= !p.authenticators.isEmpty();
                f[1] |= !p.enhancedAuthenticators.isEmpty();
                f[2] |= !p.authorizers.isEmpty();
                f[3] |= !p.connectInterceptors.isEmpty();
                f[4] |= !p.publishInterceptors.isEmpty();
                f[5] |= !p.outboundInterceptors.isEmpty();
                f[6] |= !p.subscribeInterceptors.isEmpty();
                f[7] |= !p.unsubscribeInterceptors.isEmpty();
                f[8] |= !p.connectionListeners.isEmpty();
                f[9] |= !p.sessionListeners.isEmpty();
            }
            return new Present(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9]);
        }
    }

    Present present() {
        return present;
    }

    /**
     * Recomputes {@link #present}; also called by a plugin's context when it adds a hook, from the plugin's thread
     * while {@link #load} may hold this host's monitor, hence a lock of its own.
     */
    void refreshPresent() {
        synchronized (presentLock) {
            present = Present.of(ordered);
        }
    }

    private static PluginDescriptor descriptor(Properties p, Path source) {
        String id = p.getProperty("id");
        String main = p.getProperty("main");
        if (id == null || !id.matches("[a-z0-9][a-z0-9-]*") || main == null) {
            throw new IllegalArgumentException(source.getFileName() + ": " + DESCRIPTOR
                    + " needs id ([a-z0-9-]) and main");
        }
        Map<String, String> defaults = new HashMap<>();
        for (String name : p.stringPropertyNames()) {
            if (name.startsWith("config.")) {
                defaults.put(name.substring("config.".length()), p.getProperty(name));
            }
        }
        int priority;
        try {
            priority = Integer.parseInt(p.getProperty("priority", "0").trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(source.getFileName() + ": priority must be a whole number");
        }
        return new PluginDescriptor(id, p.getProperty("name", id), p.getProperty("version", "0"), main, priority,
                p.getProperty("api-version", ApiVersion.CURRENT), defaults);
    }

    private static URL[] jarsOf(Path source) throws IOException {
        if (Files.isDirectory(source)) {
            try (Stream<Path> files = Files.list(source)) {
                List<URL> urls = new ArrayList<>();
                for (Path f : files.filter(f -> f.toString().endsWith(".jar")).sorted().toList()) {
                    urls.add(f.toUri().toURL());
                }
                if (urls.isEmpty()) {
                    throw new IllegalArgumentException("no jars in " + source);
                }
                return urls.toArray(new URL[0]);
            }
        }
        return new URL[] {source.toUri().toURL()};
    }

    private static java.util.concurrent.ThreadFactory daemon(String name, ClassLoader loader) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            t.setContextClassLoader(loader);
            return t;
        };
    }

    private static void closeQuietly(PluginClassLoader loader) {
        try {
            loader.close();
        } catch (IOException ignored) {
            // The jar may be gone already.
        }
    }

    private void watch(Path dir) {
        try {
            Files.createDirectories(dir);
            watcher = dir.getFileSystem().newWatchService();
            dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
        } catch (IOException e) {
            LOG.warnf("cannot watch plugins directory %s: %s", dir, e.getMessage());
            return;
        }
        watchThread = new Thread(() -> watchLoop(dir), "conduit-plugin-watcher");
        watchThread.setDaemon(true);
        watchThread.start();
    }

    private void watchLoop(Path dir) {
        while (true) {
            WatchKey key;
            try {
                key = watcher.take();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            }
            // Let a copy finish before reading the jar: wait until the directory is quiet.
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                return;
            }
            key.pollEvents();
            key.reset();
            synchronizeWith(dir);
        }
    }

    /** Brings the loaded plugins in line with the directory: new jars load, changed ones reload, removed unload. */
    synchronized void synchronizeWith(Path dir) {
        List<Path> present;
        try (Stream<Path> entries = Files.list(dir)) {
            present = entries.filter(PluginHost::isPluginSource).sorted().toList();
        } catch (IOException e) {
            return;
        }
        for (LoadedPlugin p : new ArrayList<>(plugins.values())) {
            if (!present.contains(p.source)) {
                unload(p.id());
            }
        }
        for (Path source : present) {
            LoadedPlugin current = plugins.values().stream().filter(p -> p.source.equals(source)).findFirst()
                    .orElse(null);
            long modified;
            try {
                modified = Files.getLastModifiedTime(source).toMillis();
            } catch (IOException e) {
                continue;
            }
            if (current == null || current.sourceModified != modified) {
                loadQuietly(source);
            }
        }
    }
}
