package io.conduit.plugin;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Enumeration;

/**
 * Isolates one plugin: it sees the SDK ({@code io.conduit.api}) from Conduit, the JDK, and its own jars first, and
 * nothing else of the gateway. Two plugins may therefore bundle different versions of the same library.
 */
final class PluginClassLoader extends URLClassLoader {

    private static final String API_PACKAGE = "io.conduit.api.";

    private final ClassLoader api;

    PluginClassLoader(String pluginId, URL[] jars, ClassLoader api) {
        super("plugin-" + pluginId, jars, ClassLoader.getPlatformClassLoader());
        this.api = api;
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (name.startsWith(API_PACKAGE)) {
            return api.loadClass(name);
        }
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                try {
                    c = findClass(name);
                } catch (ClassNotFoundException notOwn) {
                    // The parent is the platform loader: the JDK, never the gateway's classes.
                    c = getParent().loadClass(name);
                }
            }
            if (resolve) {
                resolveClass(c);
            }
            return c;
        }
    }

    @Override
    public URL getResource(String name) {
        URL own = findResource(name);
        return own != null ? own : super.getResource(name);
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
        return findResources(name);
    }
}
