package io.conduit.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttQoS;
import org.HdrHistogram.Histogram;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Opens one process's share of a connection run: {@code count} idle MQTT connections, numbered from {@code offset},
 * at most {@code rate} new ones per second and at most {@code concurrency} attempts unanswered at once, each from
 * the next local address of {@code sources} (round robin by the connection's number, so that several processes
 * spread evenly). Connect latency is TCP connect start to CONNACK. The connections then stay open, sending only
 * PINGREQ every keep-alive / 2, until {@link #close()}.
 */
final class ConnectionWorker {

    static final long CONNACK_TIMEOUT_MS = 10_000;
    private static final long HIGHEST_MICROS = TimeUnit.SECONDS.toMicros(300);
    private static final MqttFixedHeader PINGREQ = new MqttFixedHeader(MqttMessageType.PINGREQ, false,
            MqttQoS.AT_MOST_ONCE, false, 0);
    private static final MqttFixedHeader DISCONNECT = new MqttFixedHeader(MqttMessageType.DISCONNECT, false,
            MqttQoS.AT_MOST_ONCE, false, 0);

    /** What a share did: counts, first attempt and last answer (epoch µs, comparable across processes). */
    record Report(long opened, long failed, long dropped, long startMicros, long endMicros, double cpuSeconds,
                  Map<String, Long> failures, Histogram latency) {

        String json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("opened", opened);
            m.put("failed", failed);
            m.put("dropped", dropped);
            m.put("start_us", startMicros);
            m.put("end_us", endMicros);
            m.put("cpu_s", cpuSeconds);
            m.put("failures", new LinkedHashMap<>(failures));
            ByteBuffer buf = ByteBuffer.allocate(latency.getNeededByteBufferCapacity());
            int n = latency.encodeIntoCompressedByteBuffer(buf);
            m.put("latency", Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(buf.array(), n)));
            return Json.write(m);
        }

        @SuppressWarnings("unchecked")
        static Report parse(String json) throws java.util.zip.DataFormatException {
            Map<String, Object> m = (Map<String, Object>) Json.parse(json);
            Map<String, Long> failures = new LinkedHashMap<>();
            ((Map<String, Object>) m.get("failures")).forEach((k, v) -> failures.put(k, ((Number) v).longValue()));
            Histogram h = Histogram.decodeFromCompressedByteBuffer(
                    ByteBuffer.wrap(Base64.getDecoder().decode((String) m.get("latency"))), HIGHEST_MICROS);
            return new Report(lng(m, "opened"), lng(m, "failed"), lng(m, "dropped"), lng(m, "start_us"),
                    lng(m, "end_us"), ((Number) m.get("cpu_s")).doubleValue(), failures, h);
        }

        private static long lng(Map<String, Object> m, String k) {
            return ((Number) m.get(k)).longValue();
        }
    }

    private final Options options;
    private final int offset;
    private final int count;
    private final double rate;
    private final String runId;
    private final List<InetSocketAddress> sources;
    private final EventLoopGroup group;
    private final Bootstrap bootstrap;
    private final Semaphore permits;
    private final Histogram latency = new Histogram(HIGHEST_MICROS, 3);
    private final LongAdder opened = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final AtomicLong unresolved = new AtomicLong();
    private final AtomicLong lastAnswerMicros = new AtomicLong();
    private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
    private final List<Channel> channels = new ArrayList<>();
    private volatile boolean closing;
    private long startMicros;

    ConnectionWorker(Options options, int offset, int count, double rate, String runId, List<String> sources) {
        this.options = options;
        this.offset = offset;
        this.count = count;
        this.rate = rate;
        this.runId = runId;
        this.sources = new ArrayList<>();
        for (String s : sources) {
            this.sources.add(new InetSocketAddress(s, 0));
        }
        this.permits = new Semaphore(options.connectConcurrency);
        this.group = new NioEventLoopGroup(options.threads);
        this.bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                // A local port of the previous run may still be in TIME_WAIT.
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) CONNACK_TIMEOUT_MS);
    }

    /**
     * Opens and closes one connection that is not counted: the first connection of a JVM loads and compiles
     * Netty's and the codec's classes, which would add a second or more to the first measured connect latencies.
     */
    void warmUp() throws InterruptedException {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Idle idle = new Idle("bench-" + runId + "-w" + offset, offset, done);
        Channel ch = connect(new InetSocketAddress(options.host, options.port), idle, offset).channel();
        try {
            done.get(2 * CONNACK_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            System.err.println("warm-up connection failed: " + e.getMessage());
        }
        ch.writeAndFlush(new MqttMessage(DISCONNECT)).addListener(ChannelFutureListener.CLOSE);
        ch.closeFuture().await(5_000);
    }

    /** Opens every connection of the share (blocking) and returns once each attempt got an answer or timed out. */
    Report open() throws InterruptedException {
        InetSocketAddress remote = new InetSocketAddress(options.host, options.port);
        long cpu0 = Runner.processCpuNanos();
        startMicros = epochMicros();
        long t0 = System.nanoTime();
        unresolved.set(count);
        for (int k = 0; k < count; k++) {
            if (rate > 0) {
                long due = t0 + (long) (k * 1e9 / rate);
                long wait;
                while ((wait = due - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(Math.min(wait, 1_000_000));
                }
            }
            permits.acquire();
            openOne(remote, offset + k);
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2 * CONNACK_TIMEOUT_MS);
        while (unresolved.get() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        return report(Runner.processCpuNanos() - cpu0);
    }

    /** Sends DISCONNECT on every open connection, closes them all and stops the event loops. */
    Report close() throws InterruptedException {
        long droppedBefore = dropped.sum();
        closing = true;
        List<ChannelFuture> closed = new ArrayList<>();
        for (Channel ch : channels) {
            if (ch.isActive()) {
                ch.writeAndFlush(new MqttMessage(DISCONNECT)).addListener(ChannelFutureListener.CLOSE);
            } else {
                ch.close();
            }
            closed.add(ch.closeFuture());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (ChannelFuture f : closed) {
            f.await(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
        Report r = report(0);
        return new Report(r.opened(), r.failed(), droppedBefore, r.startMicros(), r.endMicros(), r.cpuSeconds(),
                r.failures(), r.latency());
    }

    private Report report(long cpuNanos) {
        Map<String, Long> f = new LinkedHashMap<>();
        failures.forEach((k, v) -> f.put(k, v.sum()));
        Histogram copy;
        synchronized (latency) {
            copy = latency.copy();
        }
        return new Report(opened.sum(), failed.sum(), dropped.sum(), startMicros, lastAnswerMicros.get(),
                cpuNanos / 1e9, f, copy);
    }

    private void openOne(InetSocketAddress remote, int number) {
        Idle idle = new Idle("bench-" + runId + "-c" + number, number, null);
        ChannelFuture f = connect(remote, idle, number);
        channels.add(f.channel());
    }

    private ChannelFuture connect(InetSocketAddress remote, Idle idle, int number) {
        Bootstrap b = bootstrap.clone().handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new MqttFrameDecoder(Client.MAX_PACKET), new MqttDecoder(Client.MAX_PACKET),
                        MqttEncoder.INSTANCE, idle);
            }
        });
        idle.startNanos = System.nanoTime();
        ChannelFuture f = sources.isEmpty() ? b.connect(remote)
                : b.connect(remote, sources.get(number % sources.size()));
        f.addListener((ChannelFutureListener) done -> {
            if (!done.isSuccess()) {
                idle.fail(describe(done.cause()));
            }
        });
        return f;
    }

    private static String describe(Throwable t) {
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + m.replaceAll("[0-9.:/]+$", "").trim());
    }

    static long epochMicros() {
        return ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
    }

    /** One idle connection: CONNECT when the socket is up, then only PINGREQ. */
    private final class Idle extends SimpleChannelInboundHandler<MqttMessage> {
        private final String clientId;
        private final int number;
        /** Set for the uncounted warm-up connection: completed by its CONNACK or failure instead of counting. */
        private final CompletableFuture<Void> warmUp;
        long startNanos;
        private boolean resolved;
        private boolean connected;
        private ScheduledFuture<?> timeout;

        Idle(String clientId, int number, CompletableFuture<Void> warmUp) {
            this.clientId = clientId;
            this.number = number;
            this.warmUp = warmUp;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            timeout = ctx.executor().schedule(() -> {
                fail("no CONNACK within " + CONNACK_TIMEOUT_MS + " ms");
                ctx.close();
            }, CONNACK_TIMEOUT_MS - (System.nanoTime() - startNanos) / 1_000_000, TimeUnit.MILLISECONDS);
            ctx.writeAndFlush(Client.connectMessage(clientId, options.protocol, true, 0, options.keepAlive(true),
                    Options.perConnection(options.username, number), Options.perConnection(options.password, number)));
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, MqttMessage msg) {
            if (msg.decoderResult().isFailure()) {
                fail("undecodable packet");
                ctx.close();
                return;
            }
            MqttMessageType type = msg.fixedHeader().messageType();
            if (type == MqttMessageType.CONNACK) {
                MqttConnectReturnCode code = ((MqttConnAckMessage) msg).variableHeader().connectReturnCode();
                if (code != MqttConnectReturnCode.CONNECTION_ACCEPTED) {
                    fail("CONNACK " + code);
                    ctx.close();
                    return;
                }
                connected();
                int keepAlive = options.keepAlive(true);
                if (keepAlive > 0) {
                    int every = Math.max(1, keepAlive / 2);
                    ctx.executor().scheduleAtFixedRate(() -> {
                        if (ctx.channel().isActive()) {
                            ctx.writeAndFlush(new MqttMessage(PINGREQ));
                        }
                    }, every, every, TimeUnit.SECONDS);
                }
            } else if (type == MqttMessageType.DISCONNECT) {
                fail("broker sent DISCONNECT " + msg.variableHeader());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (warmUp != null) {
                fail("closed");
            } else if (!resolved) {
                fail("closed before CONNACK");
            } else if (connected && !closing) {
                dropped.increment();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (!resolved) {
                fail(describe(cause));
            }
            ctx.close();
        }

        private void connected() {
            if (resolved) {
                return;
            }
            if (warmUp != null) {
                resolved = true;
                timeout.cancel(false);
                warmUp.complete(null);
                return;
            }
            long micros = (System.nanoTime() - startNanos) / 1000;
            synchronized (latency) {
                latency.recordValue(Math.min(HIGHEST_MICROS, micros));
            }
            connected = true;
            opened.increment();
            resolve();
        }

        /** The attempt failed; counted once, under its reason. */
        void fail(String why) {
            if (resolved) {
                return;
            }
            if (warmUp != null) {
                resolved = true;
                warmUp.completeExceptionally(new IllegalStateException(why));
                return;
            }
            failed.increment();
            failures.computeIfAbsent(why, k -> new LongAdder()).increment();
            resolve();
        }

        private void resolve() {
            resolved = true;
            if (timeout != null) {
                timeout.cancel(false);
            }
            lastAnswerMicros.accumulateAndGet(epochMicros(), Math::max);
            unresolved.decrementAndGet();
            permits.release();
        }
    }
}
