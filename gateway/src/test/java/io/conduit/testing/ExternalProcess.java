package io.conduit.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * An external client (mosquitto_pub, a Python script...) run as a process for interoperability tests. Output goes to
 * files, so a chatty process never blocks on a full pipe and the test can read what it printed so far. Every wait
 * has a time limit: a broker that does not answer fails the test instead of hanging it.
 */
public final class ExternalProcess implements AutoCloseable {

    /** Debian's interpreter, which python3-paho-mqtt installs into (not whatever python3 is first on PATH). */
    public static final String PYTHON = "/usr/bin/python3";

    private final List<String> command;
    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private ExternalProcess(List<String> command) throws IOException {
        this.command = List.copyOf(command);
        this.stdout = Files.createTempFile("conduit-proc", ".out");
        this.stderr = Files.createTempFile("conduit-proc", ".err");
        this.process = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
    }

    /** Starts a process; fails the test when the program cannot be run at all. */
    public static ExternalProcess start(String... command) {
        return start(List.of(command));
    }

    public static ExternalProcess start(List<String> command) {
        try {
            return new ExternalProcess(command);
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command.get(0) + " (" + e.getMessage() + "): "
                    + "`./conduit test` installs the external test clients (mosquitto-clients, python3-paho-mqtt)", e);
        }
    }

    /** Runs a process to its end, within the timeout. */
    public static Result run(Duration timeout, String... command) {
        try (ExternalProcess p = start(command)) {
            return p.await(timeout);
        }
    }

    /**
     * Fails (does not skip) when an external client is missing, with the way to install it: the suite is meant to
     * run with them, and `./conduit test` installs them.
     */
    public static void require(String what, String... probe) {
        Result r;
        try (ExternalProcess p = new ExternalProcess(List.of(probe))) {
            r = p.await(Duration.ofSeconds(30));
        } catch (IOException | AssertionError e) {
            throw new AssertionError(what + " is missing (" + e.getMessage() + "); `./conduit test` installs it "
                    + "(Debian: apt-get install mosquitto-clients python3-paho-mqtt)", e);
        }
        if (r.exitCode() != 0) {
            throw new AssertionError(what + " is missing; `./conduit test` installs it (Debian: apt-get install "
                    + "mosquitto-clients python3-paho-mqtt). " + r);
        }
    }

    /** Waits for the process to exit; kills it and fails the test when it outlives the timeout. */
    public Result await(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                throw new AssertionError("still running after " + timeout.toSeconds() + " s, killed: " + command
                        + "\nstdout: " + stdout() + "\nstderr: " + stderr());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        return new Result(command, process.exitValue(), stdout(), stderr());
    }

    /** Waits until what the process printed so far satisfies the condition; fails if it exits or times out first. */
    public void awaitOutput(Predicate<String> condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (condition.test(stdout())) {
                return;
            }
            if (!process.isAlive()) {
                throw new AssertionError("exited with " + process.exitValue() + " before the expected output: "
                        + command + "\nstdout: " + stdout() + "\nstderr: " + stderr());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("expected output not seen within " + timeout.toSeconds() + " s: " + command
                        + "\nstdout: " + stdout() + "\nstderr: " + stderr());
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String stdout() {
        return read(stdout);
    }

    public String stderr() {
        return read(stderr);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        } catch (IOException ignored) {
            // temp files; nothing to do
        }
    }

    /** How a process ended and what it printed. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {

        /** Asserts exit code 0 and returns this, for chaining. */
        public Result assertSuccess() {
            if (exitCode != 0) {
                throw new AssertionError("exit code " + exitCode + ": " + this);
            }
            return this;
        }

        @Override
        public String toString() {
            return command + " exited " + exitCode + "\nstdout: " + stdout + "\nstderr: " + stderr;
        }
    }
}
