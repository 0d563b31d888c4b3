package io.conduit.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Keycloak for the security tests: the {@code org.keycloak:keycloak-quarkus-dist} zip, which Maven unpacks
 * into {@code target/keycloak/} (gateway/pom.xml), run with {@code kc.sh start-dev} on free loopback ports with an
 * in-memory database and the {@code conduit} realm imported from {@code src/test/resources/keycloak/}. Started once
 * per test JVM, on first use, and stopped by a shutdown hook; every test class that needs it shares it.
 * <p>
 * Keycloak needs Java 21 or later while the gateway builds on 17: the JDK is {@code KEYCLOAK_JAVA_HOME}, else the
 * running one or {@code JAVA_HOME} when recent enough, else the newest JDK 21+ under {@code /usr/lib/jvm}.
 */
public final class KeycloakServer {

    public static final String REALM = "conduit";
    /** The master realm's administrator, whose tokens come from another realm than Conduit's. */
    public static final String MASTER_ADMIN = "kcadmin";
    public static final String MASTER_PASSWORD = "kcadmin-test";
    public static final String DEVICES_CLIENT = "conduit-devices";
    public static final String DEVICES_SECRET = "conduit-devices-secret";

    private static final Duration START_TIMEOUT = Duration.ofMinutes(6);
    /**
     * The port of the running server, for this class loaded again by another class loader (Quarkus loads test code
     * anew): it attaches instead of starting a second Keycloak.
     */
    private static final String PORT_PROPERTY = "keycloak.test.port";
    private static final Pattern ACCESS_TOKEN = Pattern.compile("\"access_token\"\\s*:\\s*\"([^\"]+)\"");
    private static KeycloakServer instance;

    private final Process process;
    private final int port;
    private Path log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private KeycloakServer() throws IOException, InterruptedException {
        Path home = distribution();
        Path java = java21();
        Path imports = home.resolve("data/import");
        Files.createDirectories(imports);
        try (InputStream realm = KeycloakServer.class.getResourceAsStream("/keycloak/conduit-realm.json")) {
            if (realm == null) {
                throw new IllegalStateException("keycloak/conduit-realm.json is not on the test class path");
            }
            Files.copy(realm, imports.resolve("conduit-realm.json"), StandardCopyOption.REPLACE_EXISTING);
        }
        port = freePort();
        log = home.getParent().resolve("keycloak-" + port + ".log");
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/kc.sh").toString(), "start-dev",
                "--http-host=127.0.0.1", "--http-port=" + port, "--http-management-port=" + freePort(),
                "--db=dev-mem", "--import-realm")
                .redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("JAVA_HOME", java.toString());
        pb.environment().put("KC_BOOTSTRAP_ADMIN_USERNAME", MASTER_ADMIN);
        pb.environment().put("KC_BOOTSTRAP_ADMIN_PASSWORD", MASTER_PASSWORD);
        pb.environment().put("JAVA_OPTS_KC_HEAP", "-Xms64m -Xmx512m");
        process = pb.start();
        Runtime.getRuntime().addShutdownHook(new Thread(this::stop, "keycloak-stop"));
        awaitRealm();
        System.setProperty(PORT_PROPERTY, String.valueOf(port));
    }

    private KeycloakServer(int runningOn) {
        process = null;
        port = runningOn;
    }

    /** The server, started on first call (about a minute, more on a busy machine). */
    public static KeycloakServer get() {
        // One lock for every class loader that loads this class.
        synchronized (PORT_PROPERTY.intern()) {
            if (instance == null) {
                String running = System.getProperty(PORT_PROPERTY);
                try {
                    instance = running != null ? new KeycloakServer(Integer.parseInt(running)) : new KeycloakServer();
                } catch (IOException e) {
                    throw new UncheckedIOException("could not start Keycloak", e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            return instance;
        }
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** The issuer URL of the conduit realm, what {@code quarkus.oidc.auth-server-url} points at. */
    public String realmUrl() {
        return realmUrl(REALM);
    }

    public String realmUrl(String realm) {
        return url() + "/realms/" + realm;
    }

    /** An access token from a public client of the conduit realm, by the resource owner password grant. */
    public String token(String clientId, String username, String password) {
        return token(REALM, clientId, null, username, password);
    }

    /** An access token for a device user, from the confidential devices client (audience conduit-mqtt). */
    public String deviceToken(String username, String password) {
        return token(REALM, DEVICES_CLIENT, DEVICES_SECRET, username, password);
    }

    /** A token of the master realm's administrator: valid, but issued by another realm with other keys. */
    public String masterRealmToken() {
        return token("master", "admin-cli", null, MASTER_ADMIN, MASTER_PASSWORD);
    }

    public String token(String realm, String clientId, String secret, String username, String password) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "password");
        form.put("client_id", clientId);
        if (secret != null) {
            form.put("client_secret", secret);
        }
        form.put("username", username);
        form.put("password", password);
        String body = form.entrySet().stream()
                .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        HttpRequest request = HttpRequest.newBuilder(URI.create(realmUrl(realm) + "/protocol/openid-connect/token"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            Matcher m = ACCESS_TOKEN.matcher(r.body());
            if (r.statusCode() != 200 || !m.find()) {
                throw new IllegalStateException("Keycloak gave no token for " + username + " via " + clientId + ": "
                        + r.statusCode() + " " + r.body());
            }
            return m.group(1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void awaitRealm() throws InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        HttpRequest probe = HttpRequest.newBuilder(URI.create(realmUrl() + "/.well-known/openid-configuration"))
                .timeout(Duration.ofSeconds(5)).build();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Keycloak exited with " + process.exitValue() + ":\n" + tail());
            }
            try {
                if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // Not listening yet.
            }
            Thread.sleep(500);
        }
        stop();
        throw new IllegalStateException("Keycloak did not serve realm " + REALM + " within " + START_TIMEOUT.toSeconds()
                + " s:\n" + tail());
    }

    private void stop() {
        // kc.sh starts Java as its child: stop both.
        List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
        all.add(process.toHandle());
        all.forEach(ProcessHandle::destroy);
        for (ProcessHandle p : all) {
            try {
                p.onExit().get(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }
    }

    private String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static Path distribution() throws IOException {
        String configured = System.getProperty("keycloak.dist.dir");
        if (configured != null && Files.isExecutable(Path.of(configured, "bin/kc.sh"))) {
            return Path.of(configured);
        }
        Path unpacked = Path.of("target/keycloak");
        if (Files.isDirectory(unpacked)) {
            try (Stream<Path> dirs = Files.list(unpacked)) {
                Optional<Path> found = dirs.filter(d -> Files.isExecutable(d.resolve("bin/kc.sh"))).findFirst();
                if (found.isPresent()) {
                    return found.get();
                }
            }
        }
        throw new IllegalStateException("Keycloak distribution not found (" + configured + "): Maven unpacks "
                + "org.keycloak:keycloak-quarkus-dist into gateway/target/keycloak/ in generate-test-resources; run "
                + "the tests through Maven (mvn -pl gateway test ...)");
    }

    /** A JDK that can run Keycloak (21+). */
    static Path java21() {
        List<Path> candidates = new ArrayList<>();
        Optional.ofNullable(System.getenv("KEYCLOAK_JAVA_HOME")).map(Path::of).ifPresent(candidates::add);
        candidates.add(Path.of(System.getProperty("java.home")));
        Optional.ofNullable(System.getenv("JAVA_HOME")).map(Path::of).ifPresent(candidates::add);
        try (Stream<Path> jdks = Files.list(Path.of("/usr/lib/jvm"))) {
            jdks.sorted(Comparator.comparingInt(KeycloakServer::majorVersion).reversed()).forEach(candidates::add);
        } catch (IOException ignored) {
            // No JDKs installed the Debian way.
        }
        return candidates.stream()
                .filter(home -> Files.isExecutable(home.resolve("bin/java")) && majorVersion(home) >= 21)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("Keycloak needs Java 21 or later and none was found in "
                        + candidates + ": install one (for example Debian's openjdk-21-jdk or Temurin 21+) under "
                        + "/usr/lib/jvm, or set KEYCLOAK_JAVA_HOME"));
    }

    /** The major version from the JDK's {@code release} file, 0 when unknown. */
    private static int majorVersion(Path home) {
        try {
            for (String line : Files.readAllLines(home.resolve("release"))) {
                if (line.startsWith("JAVA_VERSION=")) {
                    String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
                    String major = v.startsWith("1.") ? v.substring(2) : v;
                    return Integer.parseInt(major.split("[.+-]")[0]);
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // Not a JDK, or no release file.
        }
        return 0;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
