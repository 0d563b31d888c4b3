package io.conduit.testing;

import io.conduit.api.Plugin;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * Builds plugin jars for tests: compiles Java sources against the plugins API, as a plugin author's build would, and
 * packs them with a descriptor. Each jar is a real, isolated plugin, so tests need no fixture modules.
 */
public final class PluginJars {

    private PluginJars() {
    }

    /**
     * Compiles the sources (class name to source) and writes {@code dir/<id>.jar}; the jar appears atomically, as a
     * careful deployment would make it appear.
     */
    public static Path build(Path dir, String descriptor, Map<String, String> sources) throws IOException {
        Path work = Files.createTempDirectory("plugin-src-");
        Path src = work.resolve("src");
        Path classes = work.resolve("classes");
        Files.createDirectories(classes);
        List<String> files = new ArrayList<>();
        for (Map.Entry<String, String> e : sources.entrySet()) {
            Path file = src.resolve(e.getKey().replace('.', '/') + ".java");
            Files.createDirectories(file.getParent());
            Files.writeString(file, e.getValue());
            files.add(file.toString());
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "-cp", apiLocation().toString(),
                "--release", "17"));
        args.addAll(files);
        if (javac.run(null, null, null, args.toArray(new String[0])) != 0) {
            throw new IllegalStateException("plugin sources did not compile");
        }
        Files.createDirectories(classes.resolve("META-INF"));
        Files.writeString(classes.resolve("META-INF/conduit-plugin.properties"), descriptor,
                StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE_NEW);
        String id = descriptor.lines().filter(l -> l.startsWith("id=")).findFirst().orElseThrow().substring(3);
        return pack(classes, dir.resolve(id + ".jar"));
    }

    /** Packs a directory of classes (or copies a jar) into {@code target}, atomically. */
    public static Path pack(Path classesOrJar, Path target) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), ".", ".part");
        if (Files.isRegularFile(classesOrJar)) {
            Files.copy(classesOrJar, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } else {
            try (OutputStream out = Files.newOutputStream(tmp); JarOutputStream jar = new JarOutputStream(out);
                 Stream<Path> all = Files.walk(classesOrJar)) {
                for (Path p : all.filter(Files::isRegularFile).sorted().toList()) {
                    jar.putNextEntry(new JarEntry(classesOrJar.relativize(p).toString().replace('\\', '/')));
                    jar.write(Files.readAllBytes(p));
                    jar.closeEntry();
                }
            }
        }
        return Files.move(tmp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** Where a class on the test class path was loaded from: a jar or a classes directory. */
    public static Path locationOf(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path apiLocation() {
        return locationOf(Plugin.class);
    }
}
