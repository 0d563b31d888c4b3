package io.conduit.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Entry point: {@code run} (the default) runs scenarios against a broker and prints a markdown row and a JSON line
 * per run; {@code summarize} turns the JSON lines of several runs into medians and ratios; {@code connection-worker}
 * is a child process of a connection run.
 */
public final class Bench {

    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && (args[0].equals("-h") || args[0].equals("--help") || args[0].equals("help"))) {
            System.out.print(Options.USAGE);
            return;
        }
        if (args.length > 0 && args[0].equals("header")) {
            System.out.println(Result.header());
            return;
        }
        if (args.length > 0 && args[0].equals("summarize")) {
            if (args.length < 2) {
                System.err.print(Options.USAGE);
                System.exit(64);
            }
            String baseline = args.length >= 4 && args[2].equals("--baseline") ? args[3] : null;
            Summary.print(Path.of(args[1]), baseline);
            return;
        }
        if (args.length > 0 && args[0].equals("connection-worker")) {
            ConnectionRun.child(Options.parse(java.util.Arrays.copyOfRange(args, 1, args.length)));
            System.exit(0);
            return;
        }
        String[] rest = args.length > 0 && args[0].equals("run") ? java.util.Arrays.copyOfRange(args, 1, args.length)
                : args;
        Options o;
        try {
            o = Options.parse(rest);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.print(Options.USAGE);
            System.exit(64);
            return;
        }
        boolean failed = false;
        if (o.header) {
            System.out.println(Result.header());
        }
        for (String scenario : o.scenarios) {
            if (scenario.equals("connections")) {
                failed |= report(ConnectionRun.run(o), o);
                continue;
            }
            for (int qos : Plan.usesQos(scenario) ? o.qosLevels : List.of(1)) {
                for (int payload : o.payloads) {
                    Plan plan = Plan.of(scenario, o, payload, qos, "bench/" + Long.toHexString(System.nanoTime()));
                    failed |= report(new Runner(o).run(plan), o);
                }
            }
        }
        System.exit(failed ? 2 : 0);
    }

    /** Prints (and appends) a run's row and JSON; true when it failed: errors, or acknowledged messages lost. */
    private static boolean report(Result r, Options o) throws IOException {
        System.out.println(r.markdownRow());
        System.out.println(r.json());
        if (o.jsonOut != null) {
            append(Path.of(o.jsonOut), r.json());
        }
        return !r.errors().isEmpty() || r.lost() > 0 && r.qos() > 0;
    }

    private static void append(Path file, String line) throws IOException {
        Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }
}
