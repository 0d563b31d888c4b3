package io.conduit.bench;

import org.HdrHistogram.Histogram;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The connection run: opens {@code --connections} idle connections at {@code --connect-rate}, holds them for
 * {@code --hold} seconds, reads the broker's RSS, closes them. Each connection takes an open file in the bench, so
 * beyond the process's open-file limit the connections are shared by several bench JVMs: this one and children it
 * starts ({@code connection-worker}), which it steers over their stdin/stdout (ready, go, opened, close, closed) so
 * that all open together and the broker is measured while every connection is up.
 */
final class ConnectionRun {

    /** Ephemeral ports per local address towards one broker port are ~28k (32768-60999); stay below. */
    static final int CONNECTIONS_PER_SOURCE = 25_000;
    /** Open files a bench JVM keeps for itself (jars, epoll, pipes). */
    private static final int OWN_FILES = 1_000;

    private ConnectionRun() {
    }

    static Result run(Options o) throws Exception {
        String loadBefore = LoadAverage.read();
        List<String> errors = new ArrayList<>();
        String runId = Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xFFFFFFFFL);
        int perProcess = (int) Math.max(1, Math.min(Integer.MAX_VALUE, openFileLimit() - OWN_FILES));
        int processes = Math.min(o.connections,
                o.processes > 0 ? o.processes : (o.connections + perProcess - 1) / perProcess);
        if ((o.connections + processes - 1) / processes > perProcess) {
            errors.add("--processes " + processes + " gives more connections per process than its open-file limit "
                    + "allows (" + perProcess + ")");
        }
        List<String> sources = o.sources != null ? o.sources : autoSources(o);
        String brokerFiles = o.brokerPid == null ? "n/a" : openFileLimit(o.brokerPid);
        if (o.brokerPid != null) {
            System.err.printf("broker pid %d: open files limit %s; %d connections in %d bench process(es)%s%n",
                    o.brokerPid, brokerFiles, o.connections, processes,
                    sources.isEmpty() ? "" : " from " + String.join(",", sources));
        }
        long rssBefore = rssKb(o.brokerPid);

        List<Share> shares = new ArrayList<>();
        Map<String, Long> failures = new LinkedHashMap<>();
        List<ConnectionWorker.Report> opened = new ArrayList<>();
        List<ConnectionWorker.Report> closed = new ArrayList<>();
        long rssConnected = -1;
        long rssClosed = -1;
        long overflowsBefore = -1;
        long overflowsAfter = -1;
        try {
            int offset = 0;
            for (int i = 0; i < processes; i++) {
                int count = o.connections / processes + (i < o.connections % processes ? 1 : 0);
                double rate = o.connectRate * count / o.connections;
                shares.add(i == 0 ? new LocalShare(new ConnectionWorker(o, offset, count, rate, runId, sources))
                        : new ChildShare(o, offset, count, rate, runId, sources));
                offset += count;
            }
            for (Share s : shares) {
                s.ready();
            }
            overflowsBefore = listenOverflows();
            for (Share s : shares) {
                s.go();
            }
            for (Share s : shares) {
                opened.add(s.opened());
            }
            overflowsAfter = listenOverflows();
            Thread.sleep((long) (o.hold * 1000));
            rssConnected = rssKb(o.brokerPid);
            for (Share s : shares) {
                closed.add(s.close());
            }
            // Give the broker a moment to release what the closed connections held.
            Thread.sleep(1000);
            rssClosed = rssKb(o.brokerPid);
        } catch (Exception e) {
            errors.add(e.toString());
        } finally {
            for (Share s : shares) {
                s.destroy();
            }
        }

        long ok = 0;
        long failed = 0;
        long dropped = 0;
        long start = Long.MAX_VALUE;
        long end = 0;
        double cpu = 0;
        Histogram latency = new Histogram(TimeUnit.SECONDS.toMicros(300), 3);
        for (ConnectionWorker.Report r : opened) {
            start = Math.min(start, r.startMicros());
            end = Math.max(end, r.endMicros());
            cpu += r.cpuSeconds();
        }
        for (ConnectionWorker.Report r : closed) {
            ok += r.opened();
            failed += r.failed();
            dropped += r.dropped();
            latency.add(r.latency());
            r.failures().forEach((k, v) -> failures.merge(k, v, Long::sum));
        }
        double seconds = end > start ? (end - start) / 1e6 : Double.NaN;
        failures.forEach((why, n) -> errors.add(n + " connection(s) failed: " + why));
        if (dropped > 0) {
            errors.add(dropped + " connection(s) closed by the broker while held");
        }
        Result.Connections c = new Result.Connections(o.connections, ok, failed, dropped, processes, sources.size(),
                o.connectRate, ok / seconds, seconds, Result.Percentiles.of(latency), rssBefore, rssConnected,
                rssClosed, brokerFiles, overflowsBefore < 0 || overflowsAfter < 0 ? -1 : overflowsAfter - overflowsBefore);
        return Result.ofConnections(o.label, o.protocolName(), c, cpu / seconds * 100, loadBefore, errors);
    }

    /** Several loopback source addresses when one would run out of ephemeral ports; none (the kernel's) otherwise. */
    private static List<String> autoSources(Options o) throws IOException {
        List<String> s = new ArrayList<>();
        InetAddress host = InetAddress.getByName(o.host);
        if (o.connections > CONNECTIONS_PER_SOURCE && host.isLoopbackAddress() && host.getAddress().length == 4) {
            int n = (o.connections + CONNECTIONS_PER_SOURCE - 1) / CONNECTIONS_PER_SOURCE;
            for (int i = 0; i < n; i++) {
                s.add("127.0.0." + (2 + i));
            }
        }
        return s;
    }

    /** This JVM's open-file limit (the JVM raises its soft limit to the hard one at start). */
    static long openFileLimit() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean os) {
            return os.getMaxFileDescriptorCount();
        }
        return 20_000;
    }

    /** "soft/hard" of another process, from /proc/PID/limits. */
    static String openFileLimit(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/limits"))) {
                if (line.startsWith("Max open files")) {
                    String[] f = line.substring("Max open files".length()).trim().split("\\s+");
                    return f[0] + "/" + f[1];
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not readable: reported as n/a.
        }
        return "n/a";
    }

    /** TcpExt ListenOverflows from /proc/net/netstat (a header line of names, then one of values); -1 if unreadable. */
    static long listenOverflows() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/net/netstat"));
            for (int i = 0; i + 1 < lines.size(); i++) {
                String[] names = lines.get(i).split("\\s+");
                String[] values = lines.get(i + 1).split("\\s+");
                if (names[0].equals("TcpExt:") && values[0].equals("TcpExt:")) {
                    for (int k = 1; k < names.length && k < values.length; k++) {
                        if (names[k].equals("ListenOverflows")) {
                            return Long.parseLong(values[k]);
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux, or no TcpExt: reported as unknown.
        }
        return -1;
    }

    /** VmRSS of a process in KiB, -1 when there is no pid or it cannot be read. */
    static long rssKb(Long pid) {
        if (pid == null) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // Gone or not readable.
        }
        return -1;
    }

    /** The child side: a {@link ConnectionWorker} steered over stdin/stdout by the parent's {@link ChildShare}. */
    static void child(Options o) throws Exception {
        PrintStream out = System.out;
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        ConnectionWorker w = new ConnectionWorker(o, o.connectionOffset, o.connections, o.connectRate, o.runId,
                o.sources == null ? List.of() : o.sources);
        w.warmUp();
        out.println("ready");
        out.flush();
        if ("go".equals(in.readLine())) {
            out.println("opened " + w.open().json());
            out.flush();
            in.readLine(); // "close", or end of input when the parent is gone
        }
        out.println("closed " + w.close().json());
        out.flush();
    }

    /** One process's part of the run. */
    private interface Share {
        void ready() throws Exception;

        void go() throws Exception;

        ConnectionWorker.Report opened() throws Exception;

        ConnectionWorker.Report close() throws Exception;

        void destroy();
    }

    private static final class LocalShare implements Share {
        private final ConnectionWorker worker;
        private Thread thread;
        private ConnectionWorker.Report opened;
        private Exception failure;
        private boolean closed;

        LocalShare(ConnectionWorker worker) {
            this.worker = worker;
        }

        @Override
        public void ready() throws InterruptedException {
            worker.warmUp();
        }

        @Override
        public void go() {
            thread = new Thread(() -> {
                try {
                    opened = worker.open();
                } catch (Exception e) {
                    failure = e;
                }
            }, "connection-worker");
            thread.start();
        }

        @Override
        public ConnectionWorker.Report opened() throws Exception {
            thread.join();
            if (failure != null) {
                throw failure;
            }
            return opened;
        }

        @Override
        public ConnectionWorker.Report close() throws Exception {
            closed = true;
            return worker.close();
        }

        @Override
        public void destroy() {
            if (!closed && thread != null) {
                try {
                    thread.join();
                    close();
                } catch (Exception e) {
                    // Best effort after a failed run; the run already reports the failure.
                }
            }
        }
    }

    private static final class ChildShare implements Share {
        private final Process process;
        private final BufferedReader out;
        private final Writer in;

        ChildShare(Options o, int offset, int count, double rate, String runId, List<String> sources)
                throws IOException {
            List<String> cmd = new ArrayList<>(List.of(
                    ProcessHandle.current().info().command().orElse("java"),
                    "-cp", System.getProperty("java.class.path"), Bench.class.getName(), "connection-worker",
                    "--host", o.host, "--port", Integer.toString(o.port), "--protocol", o.protocolName(),
                    "--threads", Integer.toString(o.threads), "--keep-alive", Integer.toString(o.keepAlive(true)),
                    "--connect-concurrency", Integer.toString(o.connectConcurrency),
                    "--connections", Integer.toString(count), "--connection-offset", Integer.toString(offset),
                    "--connect-rate", Double.toString(rate), "--run-id", runId));
            if (!sources.isEmpty()) {
                cmd.addAll(List.of("--sources", String.join(",", sources)));
            }
            if (o.username != null) {
                cmd.addAll(List.of("--username", o.username));
            }
            if (o.password != null) {
                cmd.addAll(List.of("--password", o.password));
            }
            process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            in = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        }

        private String expect(String word) throws IOException {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.equals(word) || line.startsWith(word + " ")) {
                    return line.substring(word.length()).trim();
                }
            }
            throw new IOException("bench child process ended before '" + word + "' (exit "
                    + (process.isAlive() ? "still running" : process.exitValue()) + ")");
        }

        private void say(String word) throws IOException {
            in.write(word + "\n");
            in.flush();
        }

        @Override
        public void ready() throws IOException {
            expect("ready");
        }

        @Override
        public void go() throws IOException {
            say("go");
        }

        @Override
        public ConnectionWorker.Report opened() throws Exception {
            return ConnectionWorker.Report.parse(expect("opened"));
        }

        @Override
        public ConnectionWorker.Report close() throws Exception {
            say("close");
            ConnectionWorker.Report r = ConnectionWorker.Report.parse(expect("closed"));
            process.waitFor(30, TimeUnit.SECONDS);
            return r;
        }

        @Override
        public void destroy() {
            if (process.isAlive()) {
                process.destroy();
            }
        }
    }
}
