package io.conduit.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttPublishVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import org.HdrHistogram.Histogram;

import java.util.BitSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One MQTT connection of the bench, publisher or subscriber or both. Everything but the volatile counters is touched
 * only on the channel's event loop; the {@link Runner} reads the rest after the loops have terminated.
 *
 * <p>A publisher keeps at most {@code window} QoS 1 PUBLISHes unacknowledged and sends the next one as each PUBACK
 * arrives (so throughput is bounded by the broker, not by round trips), or, with a rate, sends on a 1 ms tick the
 * messages that are due. A subscriber acknowledges every QoS 1 PUBLISH at once and records end-to-end latency from
 * the send time in the payload.
 */
final class Client extends SimpleChannelInboundHandler<MqttMessage> {

    static final int MAX_PACKET = 16 * 1024 * 1024;
    private static final long HIGHEST_MICROS = TimeUnit.SECONDS.toMicros(300);
    private static final int KEEP_ALIVE = 60;
    private static final MqttFixedHeader PUBACK = new MqttFixedHeader(MqttMessageType.PUBACK, false,
            MqttQoS.AT_MOST_ONCE, false, 0);
    private static final MqttFixedHeader PINGREQ = new MqttFixedHeader(MqttMessageType.PINGREQ, false,
            MqttQoS.AT_MOST_ONCE, false, 0);
    private static final MqttFixedHeader DISCONNECT = new MqttFixedHeader(MqttMessageType.DISCONNECT, false,
            MqttQoS.AT_MOST_ONCE, false, 0);

    final String clientId;
    final int protocol;
    private final RunState state;
    Channel channel;
    final CompletableFuture<MqttConnAckMessage> connack = new CompletableFuture<>();
    final CompletableFuture<Void> closed = new CompletableFuture<>();
    private CompletableFuture<Integer> suback;
    private volatile boolean closing;
    volatile String error;
    /** The broker's 5.0 Receive Maximum: how many QoS 1/2 PUBLISHes it takes unacknowledged. */
    volatile int serverReceiveMaximum = 65535;

    // ---- publisher --------------------------------------------------------------------------------------------
    Plan.Pub pub;
    int publisherIndex = -1;
    private int payloadSize;
    private int window;
    private MqttQoS pubQos;
    private boolean publishing;
    private int inflight;
    private final boolean[] busy = new boolean[65536];
    private final int[] seqOf = new int[65536];
    private final long[] sentAtOf = new long[65536];
    private int nextPacketId = 1;
    private int nextSeq;
    private long rateStart;
    private long scheduled;
    private ScheduledFuture<?> ticker;
    private final Runnable pumpAndFlush = () -> {
        pump();
        channel.flush();
    };
    volatile long sent;
    volatile long sentMeasured;
    volatile long acked;
    volatile long ackedMeasured;
    volatile int inflightNow;
    final BitSet ackedSeqs = new BitSet();
    final Histogram ackLatency = new Histogram(HIGHEST_MICROS, 3);

    // ---- subscriber -------------------------------------------------------------------------------------------
    Plan.Sub sub;
    BitSet[] seen = new BitSet[0];
    volatile long received;
    volatile long receivedMeasured;
    volatile long unique;
    volatile long duplicates;
    volatile long foreign;
    final Histogram latency = new Histogram(HIGHEST_MICROS, 3);

    Client(String clientId, int protocol, RunState state) {
        this.clientId = clientId;
        this.protocol = protocol;
        this.state = state;
    }

    // ---- commands, callable from any thread -------------------------------------------------------------------

    /** Sends CONNECT; the returned future completes with an accepted CONNACK. */
    CompletableFuture<MqttConnAckMessage> connect(boolean cleanSession, long sessionExpiry) {
        MqttMessageBuilders.ConnectBuilder b = MqttMessageBuilders.connect()
                .clientId(clientId)
                .protocolVersion(protocol == 5 ? MqttVersion.MQTT_5 : MqttVersion.MQTT_3_1_1)
                .cleanSession(cleanSession)
                .keepAlive(KEEP_ALIVE);
        if (protocol == 5) {
            MqttProperties props = new MqttProperties();
            if (sessionExpiry > 0) {
                props.add(new MqttProperties.IntegerProperty(
                        MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL.value(), (int) sessionExpiry));
            }
            b.properties(props);
        }
        channel.writeAndFlush(b.build()).addListener(f -> {
            if (!f.isSuccess()) {
                connack.completeExceptionally(f.cause());
            }
        });
        channel.eventLoop().scheduleAtFixedRate(() -> channel.writeAndFlush(new MqttMessage(PINGREQ)),
                KEEP_ALIVE / 3, KEEP_ALIVE / 3, TimeUnit.SECONDS);
        return connack;
    }

    /** Subscribes to one filter; completes with the granted QoS (or fails on a refusal). */
    CompletableFuture<Integer> subscribe(Plan.Sub sub, int publishers) {
        expect(sub, publishers);
        suback = new CompletableFuture<>();
        channel.writeAndFlush(MqttMessageBuilders.subscribe().messageId(1)
                .addSubscription(MqttQoS.valueOf(sub.qos()), sub.filter()).build());
        return suback;
    }

    /** Prepares to count deliveries for a subscription the session already has (a resumed persistent session). */
    void expect(Plan.Sub sub, int publishers) {
        this.sub = sub;
        this.seen = new BitSet[publishers];
        for (int i = 0; i < publishers; i++) {
            seen[i] = new BitSet();
        }
    }

    void configurePublisher(Plan.Pub pub, int index, int payloadSize) {
        this.pub = pub;
        this.publisherIndex = index;
        this.payloadSize = payloadSize;
        this.pubQos = MqttQoS.valueOf(pub.qos());
        this.window = Math.min(pub.window(), serverReceiveMaximum);
    }

    int window() {
        return window;
    }

    void startPublishing() {
        channel.eventLoop().execute(() -> {
            publishing = true;
            rateStart = System.nanoTime();
            if (pub.rate() > 0) {
                ticker = channel.eventLoop().scheduleAtFixedRate(pumpAndFlush, 0, 1, TimeUnit.MILLISECONDS);
            } else {
                pumpAndFlush.run();
            }
        });
    }

    void stopPublishing() {
        channel.eventLoop().execute(() -> {
            publishing = false;
            if (ticker != null) {
                ticker.cancel(false);
            }
        });
    }

    /** Sends DISCONNECT and closes; the future completes when the socket is closed. */
    CompletableFuture<Void> disconnect() {
        closing = true;
        if (channel.isActive()) {
            channel.writeAndFlush(new MqttMessage(DISCONNECT)).addListener(f -> channel.close());
        } else {
            channel.close();
        }
        return closed;
    }

    // ---- publishing, on the event loop ------------------------------------------------------------------------

    private void pump() {
        if (!publishing || !channel.isActive()) {
            return;
        }
        long now = System.nanoTime();
        if (pub.rate() > 0) {
            // Message k is due at rateStart + k / rate: k = 0 at once.
            long due = (long) ((now - rateStart) * pub.rate() / 1e9) + 1;
            while (scheduled < due && (pubQos == MqttQoS.AT_MOST_ONCE || inflight < window)) {
                // The intended send time, not the actual one: a stalled window shows up as latency
                // (no coordinated omission).
                long intended = rateStart + (long) (scheduled * 1e9 / pub.rate());
                publishOne(intended, now);
                scheduled++;
            }
        } else if (pubQos == MqttQoS.AT_MOST_ONCE) {
            int burst = 0;
            while (channel.isWritable() && burst++ < 64) {
                publishOne(now, now);
            }
            if (channel.isWritable()) {
                channel.eventLoop().execute(pumpAndFlush);
            }
        } else {
            while (inflight < window) {
                publishOne(now, now);
            }
        }
    }

    private void publishOne(long stamp, long now) {
        int seq = nextSeq++;
        int packetId = 0;
        if (pubQos != MqttQoS.AT_MOST_ONCE) {
            packetId = allocatePacketId();
            busy[packetId] = true;
            seqOf[packetId] = seq;
            sentAtOf[packetId] = now;
            inflight++;
            inflightNow = inflight;
        }
        ByteBuf payload = Payload.write(channel.alloc(), payloadSize, stamp, publisherIndex, seq);
        MqttPublishMessage m = new MqttPublishMessage(
                new MqttFixedHeader(MqttMessageType.PUBLISH, false, pubQos, false, 0),
                new MqttPublishVariableHeader(pub.topic(), packetId, MqttProperties.NO_PROPERTIES), payload);
        channel.write(m, channel.voidPromise());
        sent++;
        if (state.measuring()) {
            sentMeasured++;
        }
    }

    private int allocatePacketId() {
        while (true) {
            int id = nextPacketId;
            nextPacketId = id == 65535 ? 1 : id + 1;
            if (!busy[id]) {
                return id;
            }
        }
    }

    private void onPuback(int packetId) {
        if (packetId <= 0 || !busy[packetId]) {
            return;
        }
        busy[packetId] = false;
        inflight--;
        inflightNow = inflight;
        acked++;
        ackedSeqs.set(seqOf[packetId]);
        if (state.measuring()) {
            ackedMeasured++;
            ackLatency.recordValue(Math.min(HIGHEST_MICROS, (System.nanoTime() - sentAtOf[packetId]) / 1000));
        }
        pump();
    }

    // ---- receiving, on the event loop -------------------------------------------------------------------------

    private void onPublish(MqttPublishMessage m) {
        long now = System.nanoTime();
        if (m.fixedHeader().qosLevel() == MqttQoS.AT_LEAST_ONCE) {
            int id = m.variableHeader().packetId();
            channel.write(protocol == 5
                    ? new MqttMessage(PUBACK, new MqttPubReplyMessageVariableHeader(id, (byte) 0, null))
                    : new MqttMessage(PUBACK, MqttMessageIdVariableHeader.from(id)), channel.voidPromise());
        }
        ByteBuf p = m.payload();
        received++;
        if (p.readableBytes() < Payload.HEADER) {
            foreign++;
            return;
        }
        int publisher = Payload.publisher(p);
        int seq = Payload.seq(p);
        if (publisher < 0 || publisher >= seen.length || seq < 0) {
            foreign++;
            return;
        }
        if (seen[publisher].get(seq)) {
            duplicates++;
        } else {
            seen[publisher].set(seq);
            unique++;
        }
        if (state.recordingDeliveries()) {
            receivedMeasured++;
            latency.recordValue(Math.max(0, Math.min(HIGHEST_MICROS, (now - Payload.sentNanos(p)) / 1000)));
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, MqttMessage msg) {
        if (msg.decoderResult().isFailure()) {
            fail("undecodable packet: " + msg.decoderResult().cause());
            return;
        }
        switch (msg.fixedHeader().messageType()) {
            case PUBLISH -> onPublish((MqttPublishMessage) msg);
            case PUBACK -> onPuback(((MqttMessageIdVariableHeader) msg.variableHeader()).messageId());
            case CONNACK -> onConnack((MqttConnAckMessage) msg);
            case SUBACK -> onSuback((MqttSubAckMessage) msg);
            case DISCONNECT -> fail("broker sent DISCONNECT " + msg.variableHeader());
            case PINGRESP -> {
            }
            default -> fail("unexpected " + msg.fixedHeader().messageType());
        }
    }

    private void onConnack(MqttConnAckMessage m) {
        MqttConnectReturnCode code = m.variableHeader().connectReturnCode();
        if (code != MqttConnectReturnCode.CONNECTION_ACCEPTED) {
            connack.completeExceptionally(new IllegalStateException(clientId + ": CONNACK " + code));
            return;
        }
        if (protocol == 5) {
            MqttProperties.MqttProperty<?> rm = m.variableHeader().properties()
                    .getProperty(MqttProperties.MqttPropertyType.RECEIVE_MAXIMUM.value());
            if (rm != null) {
                serverReceiveMaximum = (Integer) rm.value();
            }
        }
        connack.complete(m);
    }

    private void onSuback(MqttSubAckMessage m) {
        int granted = m.payload().grantedQoSLevels().get(0);
        if (granted >= 0x80) {
            suback.completeExceptionally(new IllegalStateException(clientId + ": subscription refused " + granted));
        } else {
            suback.complete(granted);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            pumpAndFlush.run();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!closing) {
            fail("connection closed by the broker");
        }
        IllegalStateException gone = new IllegalStateException(clientId + ": connection closed");
        connack.completeExceptionally(gone);
        if (suback != null) {
            suback.completeExceptionally(gone);
        }
        closed.complete(null);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(cause.toString());
        ctx.close();
    }

    private void fail(String why) {
        if (error == null) {
            error = clientId + ": " + why;
        }
    }

    /** Binds the channel after a TCP connect. */
    ChannelFuture attach(ChannelFuture connected) {
        this.channel = connected.channel();
        return connected;
    }
}
