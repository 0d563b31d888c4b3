package io.conduit.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Entry point: {@code run} (the default) runs scenarios against a broker and prints a markdown row and a JSON line
 * per run; {@code summarize} turns the JSON lines of several runs into medians and ratios.
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
            for (int payload : o.payloads) {
                Result r = new Runner(o).run(Plan.of(scenario, o, payload, "bench/" + Long.toHexString(
                        System.nanoTime())));
                System.out.println(r.markdownRow());
                System.out.println(r.json());
                if (o.jsonOut != null) {
                    append(Path.of(o.jsonOut), r.json());
                }
                failed |= !r.errors().isEmpty() || r.lost() > 0 && r.qos() > 0;
            }
        }
        System.exit(failed ? 2 : 0);
    }

    private static void append(Path file, String line) throws IOException {
        Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }
}
