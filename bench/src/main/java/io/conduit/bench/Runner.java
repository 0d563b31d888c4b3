package io.conduit.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import org.HdrHistogram.Histogram;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Runs one {@link Plan} against a broker: connects subscribers (wiping a persistent session left from before), then
 * publishers, publishes through a warm-up and a measured phase, stops publishing, waits (bounded) until every
 * acknowledged message has arrived, disconnects, removes persistent sessions, and reports.
 */
final class Runner {

    private static final long CONNECT_TIMEOUT_MS = 10_000;
    /**
     * Clean sessions only: the drain ends when nothing has arrived for this long and no publisher flow is
     * unfinished. An overloaded broker drops QoS 0 (and, with its queue full, QoS 1/2) messages, which will never
     * come; waiting the whole --drain for them would only add idle time between runs.
     */
    static final double DRAIN_IDLE_SECONDS = 2;

    private final Options options;
    /** Connections opened so far: the {i} of --username / --password. */
    private int opened;

    Runner(Options options) {
        this.options = options;
    }

    Result run(Plan plan) throws Exception {
        String run = Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xFFFFFFFFL);
        RunState state = new RunState();
        EventLoopGroup group = new NioEventLoopGroup(options.threads);
        List<Client> subs = new ArrayList<>();
        List<Client> pubs = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        double measuredSeconds = 0;
        double drainSeconds = 0;
        String drainEnd = "timeout";
        String loadBefore = LoadAverage.read();
        long cpuStart = 0;
        long cpuEnd = 0;
        try {
            Bootstrap bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) CONNECT_TIMEOUT_MS);

            for (int i = 0; i < plan.subscribers().size(); i++) {
                Plan.Sub spec = plan.subscribers().get(i);
                String id = "bench-" + run + "-s" + i;
                if (spec.persistent() && options.protocol != 5) {
                    // 3.1.1 has no clean start with a kept session: end any previous session first.
                    Client wipe = open(bootstrap, id, state);
                    wipe.connect(true, 0).get(CONNECT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                    wipe.disconnect().get(CONNECT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                }
                Client c = open(bootstrap, id, state);
                boolean clean = options.protocol == 5 || !spec.persistent();
                c.connect(clean, spec.persistent() ? options.sessionExpiry : 0)
                        .get(CONNECT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                c.subscribe(spec, plan.publishers().size()).get(CONNECT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                if (spec.offline()) {
                    c.disconnect().get(CONNECT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                }
                subs.add(c);
            }
            for (int i = 0; i < plan.publishers().size(); i++) {
                Client c = open(bootstrap, "bench-" + run + "-p" + i, state);
                c.connect(true, 0).get(CONNECT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                c.configurePublisher(plan.publishers().get(i), i, plan.payload());
                pubs.add(c);
            }

            state.phase(RunState.Phase.WARMUP);
            pubs.forEach(Client::startPublishing);
            sleepUnlessFailed(options.warmup, pubs, subs);

            state.phase(RunState.Phase.MEASURE);
            cpuStart = processCpuNanos();
            long t0 = System.nanoTime();
            sleepUnlessFailed(options.duration, pubs, subs);
            state.phase(RunState.Phase.DRAIN);
            long t1 = System.nanoTime();
            cpuEnd = processCpuNanos();
            measuredSeconds = (t1 - t0) / 1e9;
            pubs.forEach(Client::stopPublishing);

            long drainStart = t1;
            if (plan.offline()) {
                // Every message is in the store now: wait for the publishers' acks, then bring the subscribers
                // back and time how fast the store is drained to them.
                long ackDeadline = t1 + (long) (options.drain * 1e9);
                while (System.nanoTime() < ackDeadline && pubs.stream().anyMatch(p -> p.inflightNow > 0)
                        && firstError(pubs, subs) == null) {
                    Thread.sleep(20);
                }
                state.phase(RunState.Phase.MEASURE_DELIVERY);
                drainStart = System.nanoTime();
                for (int i = 0; i < subs.size(); i++) {
                    Client away = subs.get(i);
                    if (!plan.subscribers().get(i).offline()) {
                        continue;
                    }
                    Client back = open(bootstrap, away.clientId, state);
                    back.expect(away.sub, plan.publishers().size());
                    back.connect(false, options.sessionExpiry).get(CONNECT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                    subs.set(i, back);
                }
            }
            long drainDeadline = drainStart + (long) (options.drain * 1e9);
            boolean clean = plan.subscribers().stream().noneMatch(Plan.Sub::persistent);
            long progress = -1;
            long progressAt = System.nanoTime();
            while (System.nanoTime() < drainDeadline && !drained(plan, pubs, subs) && firstError(pubs, subs) == null) {
                long now = System.nanoTime();
                long p = progress(pubs, subs);
                if (p != progress) {
                    progress = p;
                    progressAt = now;
                } else if (clean && now - progressAt > DRAIN_IDLE_SECONDS * 1e9
                        && pubs.stream().allMatch(c -> c.inflightNow == 0)) {
                    drainEnd = "idle";
                    break;
                }
                Thread.sleep(20);
            }
            drainSeconds = (System.nanoTime() - drainStart) / 1e9;
            if (drained(plan, pubs, subs)) {
                drainEnd = "complete";
            }
            state.phase(RunState.Phase.DRAIN);

            List<CompletableFuture<Void>> closing = new ArrayList<>();
            pubs.forEach(c -> closing.add(c.disconnect()));
            subs.forEach(c -> closing.add(c.disconnect()));
            CompletableFuture.allOf(closing.toArray(new CompletableFuture[0]))
                    .get(CONNECT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            collectErrors(pubs, subs, errors);

            for (int i = 0; i < plan.subscribers().size(); i++) {
                if (plan.subscribers().get(i).persistent()) {
                    // Leave no session (and no stored messages) behind in the broker.
                    Client end = open(bootstrap, subs.get(i).clientId, state);
                    end.connect(true, 0).get(CONNECT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                    end.disconnect().get(CONNECT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                }
            }
        } catch (Exception e) {
            collectErrors(pubs, subs, errors);
            errors.add(e.toString());
        } finally {
            // After termination every client's plain fields are visible here.
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
        }
        return result(plan, pubs, subs, errors, measuredSeconds, drainSeconds, drainEnd, loadBefore,
                cpuEnd - cpuStart);
    }

    private Client open(Bootstrap bootstrap, String clientId, RunState state) throws Exception {
        int i = opened++;
        Client client = new Client(clientId, options.protocol, state, options.keepAlive(false),
                Options.perConnection(options.username, i), Options.perConnection(options.password, i));
        Bootstrap b = bootstrap.clone().handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new MqttFrameDecoder(Client.MAX_PACKET), new MqttDecoder(Client.MAX_PACKET),
                        MqttEncoder.INSTANCE, client);
            }
        });
        client.attach(b.connect(options.host, options.port)).sync();
        return client;
    }

    private void sleepUnlessFailed(double seconds, List<Client> pubs, List<Client> subs) throws InterruptedException {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end && firstError(pubs, subs) == null) {
            Thread.sleep(Math.max(1, Math.min(100, (end - System.nanoTime()) / 1_000_000)));
        }
    }

    /** Every QoS 1 publish acknowledged and every subscriber has as many distinct messages as were published. */
    private static boolean drained(Plan plan, List<Client> pubs, List<Client> subs) {
        for (Client p : pubs) {
            if (p.pub.qos() > 0 && p.inflightNow > 0) {
                return false;
            }
        }
        for (Client s : subs) {
            long expected = 0;
            for (Client p : pubs) {
                if (Plan.matches(s.sub.filter(), p.pub.topic())) {
                    expected += Math.min(p.pub.qos(), s.sub.qos()) > 0 ? p.acked : p.sent;
                }
            }
            if (s.unique < expected) {
                return false;
            }
        }
        return true;
    }

    /** Grows while anything still moves: acknowledgements at publishers, messages at subscribers. */
    private static long progress(List<Client> pubs, List<Client> subs) {
        long n = 0;
        for (Client p : pubs) {
            n += p.acked + p.ackedMeasured + p.refused;
        }
        for (Client s : subs) {
            n += s.received;
        }
        return n;
    }

    private static String firstError(List<Client> pubs, List<Client> subs) {
        for (Client c : pubs) {
            if (c.error != null) {
                return c.error;
            }
        }
        for (Client c : subs) {
            if (c.error != null) {
                return c.error;
            }
        }
        return null;
    }

    private static void collectErrors(List<Client> pubs, List<Client> subs, List<String> errors) {
        for (List<Client> list : List.of(pubs, subs)) {
            for (Client c : list) {
                if (c.error != null && !errors.contains(c.error)) {
                    errors.add(c.error);
                }
            }
        }
    }

    private Result result(Plan plan, List<Client> pubs, List<Client> subs, List<String> errors,
                          double seconds, double drainSeconds, String drainEnd, String loadBefore,
                          long cpuNanos) {
        Histogram latency = new Histogram(TimeUnit.SECONDS.toMicros(300), 3);
        Histogram ackLatency = new Histogram(TimeUnit.SECONDS.toMicros(300), 3);
        long sent = 0;
        long acked = 0;
        long publishedMeasured = 0;
        long unacked = 0;
        long refused = 0;
        int window = 0;
        for (Client p : pubs) {
            sent += p.sent;
            acked += p.acked;
            publishedMeasured += p.pub.qos() > 0 ? p.ackedMeasured : p.sentMeasured;
            unacked += p.pub.qos() > 0 ? p.sent - p.acked - p.refused : 0;
            refused += p.refused;
            ackLatency.add(p.ackLatency);
            window = p.window();
        }
        long delivered = 0;
        long deliveredMeasured = 0;
        long deliveredUnique = 0;
        long expected = 0;
        long lost = 0;
        long duplicates = 0;
        long foreign = 0;
        for (Client s : subs) {
            delivered += s.received;
            deliveredMeasured += s.receivedMeasured;
            deliveredUnique += s.unique;
            duplicates += s.duplicates;
            foreign += s.foreign;
            latency.add(s.latency);
            for (Client p : pubs) {
                if (!Plan.matches(s.sub.filter(), p.pub.topic())) {
                    continue;
                }
                BitSet got = s.seen[p.publisherIndex];
                if (Math.min(p.pub.qos(), s.sub.qos()) > 0) {
                    // Lost: acknowledged to the publisher but never delivered.
                    BitSet missing = (BitSet) p.ackedSeqs.clone();
                    missing.andNot(got);
                    lost += missing.cardinality();
                    expected += p.acked;
                } else {
                    lost += Math.max(0, p.sent - got.cardinality());
                    expected += p.sent;
                }
            }
        }
        return new Result(plan.scenario(), options.label, options.protocolName(), plan.payload(), pubs.size(),
                subs.size(), plan.publishers().isEmpty() ? 0 : plan.publishers().get(0).qos(), window, plan.rate(),
                seconds, drainSeconds, drainEnd,
                // Offline subscribers: how fast the stored messages came out of the store once they were back.
                plan.offline() ? deliveredUnique / Math.max(drainSeconds, 1e-9)
                        : deliveredMeasured / Math.max(seconds, 1e-9),
                publishedMeasured / Math.max(seconds, 1e-9), sent, acked, unacked, refused, delivered, expected, lost,
                duplicates, foreign, Result.Percentiles.of(latency), Result.Percentiles.of(ackLatency),
                cpuNanos / 1e9 / Math.max(seconds, 1e-9) * 100, loadBefore, LoadAverage.read(), errors, null);
    }

    static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }
}
