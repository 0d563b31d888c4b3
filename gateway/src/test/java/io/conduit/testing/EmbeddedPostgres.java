package io.conduit.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL server from the binaries installed on the machine (/usr/lib/postgresql/N/bin), started once
 * per test JVM on a free port and removed at exit. PostgreSQL refuses to run as root, so as root it runs as the
 * {@code postgres} user.
 */
public final class EmbeddedPostgres {

    public static final String USER = "conduit";
    private static EmbeddedPostgres instance;

    private final Path bin;
    private final Path dataDir;
    private final int port;

    private EmbeddedPostgres() throws IOException, InterruptedException {
        bin = findBinaries();
        dataDir = Files.createTempDirectory("conduit-pg-");
        port = freePort();
        run(List.of("chown", "postgres:postgres", dataDir.toString()), true);
        run(List.of(bin.resolve("initdb").toString(), "-D", dataDir.toString(), "-U", USER, "--auth=trust",
                "-E", "UTF8", "--no-sync"), false);
        start();
        Runtime.getRuntime().addShutdownHook(new Thread(this::destroy, "embedded-postgres-stop"));
    }

    public static synchronized EmbeddedPostgres get() {
        if (instance == null) {
            try {
                instance = new EmbeddedPostgres();
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException("could not start PostgreSQL from " + candidates(), e);
            }
        }
        return instance;
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    public int port() {
        return port;
    }

    /** Starts the server (again, after {@link #stop()}). */
    public void start() throws IOException, InterruptedException {
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-w", "-t", "60",
                "-l", dataDir.resolve("server.log").toString(), "-o",
                "-p " + port + " -k " + dataDir + " -c listen_addresses=127.0.0.1 -c max_connections=200", "start"),
                false);
    }

    /** Stops the server at once, as a crash would; for tests of a database that goes away. */
    public void stop() throws IOException, InterruptedException {
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-m", "immediate", "-w", "stop"),
                false);
    }

    private void destroy() {
        try {
            stop();
        } catch (Exception ignored) {
            // Already stopped.
        }
        try (Stream<Path> files = Files.walk(dataDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // Best effort: the directory is in the system temp folder.
        }
    }

    private static Path findBinaries() {
        return candidates().stream().filter(p -> Files.isExecutable(p.resolve("pg_ctl"))).findFirst()
                .orElseThrow(() -> new IllegalStateException(
                        "PostgreSQL server binaries not found in " + candidates() + ": install postgresql"));
    }

    private static List<Path> candidates() {
        List<Path> out = new ArrayList<>();
        String configured = System.getenv("CONDUIT_PG_BIN");
        if (configured != null) {
            out.add(Path.of(configured));
        }
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            versions.sorted(Comparator.comparing(EmbeddedPostgres::majorVersion).reversed())
                    .forEach(v -> out.add(v.resolve("bin")));
        } catch (IOException ignored) {
            // No Debian-style install.
        }
        return out;
    }

    private static int majorVersion(Path versionDir) {
        try {
            return Integer.parseInt(versionDir.getFileName().toString());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static void run(List<String> command, boolean asCaller) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>();
        if (!asCaller && isRoot()) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(command);
        Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(90, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", full) + " failed:\n" + output);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
