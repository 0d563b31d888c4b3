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

import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One MQTT connection of the bench, publisher or subscriber or both. Everything but the volatile counters is touched
 * only on the channel's event loop; the {@link Runner} reads the rest after the loops have terminated.
 *
 * <p>A publisher keeps at most {@code window} QoS 1/2 flows unfinished (QoS 1: PUBLISH sent, no PUBACK yet; QoS 2:
 * no PUBCOMP yet) and starts the next one as each finishes (so throughput is bounded by the broker, not by round
 * trips), or, with a rate, sends on a 1 ms tick the messages that are due. A QoS 2 message counts as acknowledged
 * (the broker owns it, so not delivering it is a loss) at PUBREC, which the publisher answers with PUBREL at once.
 * A subscriber acknowledges every QoS 1 PUBLISH (PUBACK) and QoS 2 PUBLISH (PUBREC, then PUBCOMP for the PUBREL) at
 * once and records end-to-end latency from the send time in the payload.
 */
final class Client extends SimpleChannelInboundHandler<MqttMessage> {

    static final int MAX_PACKET = 16 * 1024 * 1024;
    private static final long HIGHEST_MICROS = TimeUnit.SECONDS.toMicros(300);
    private static final MqttFixedHeader PUBACK = new MqttFixedHeader(MqttMessageType.PUBACK, false,
            MqttQoS.AT_MOST_ONCE, false, 0);
    private static final MqttFixedHeader PUBREC = new MqttFixedHeader(MqttMessageType.PUBREC, false,
            MqttQoS.AT_MOST_ONCE, false, 0);
    /** PUBREL's fixed header flags must be 0010 (MQTT-3.6.1-1), which the encoder takes from the QoS bits. */
    private static final MqttFixedHeader PUBREL = new MqttFixedHeader(MqttMessageType.PUBREL, false,
            MqttQoS.AT_LEAST_ONCE, false, 0);
    private static final MqttFixedHeader PUBCOMP = new MqttFixedHeader(MqttMessageType.PUBCOMP, false,
            MqttQoS.AT_MOST_ONCE, false, 0);
    private static final MqttFixedHeader PINGREQ = new MqttFixedHeader(MqttMessageType.PINGREQ, false,
            MqttQoS.AT_MOST_ONCE, false, 0);
    private static final MqttFixedHeader DISCONNECT = new MqttFixedHeader(MqttMessageType.DISCONNECT, false,
            MqttQoS.AT_MOST_ONCE, false, 0);

    final String clientId;
    final int protocol;
    private final RunState state;
    private final int keepAlive;
    private final String username;
    private final String password;
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
    // Per packet id; allocated by configurePublisher, as subscribers do not need them.
    private boolean[] busy;
    /** QoS 2: PUBREC received, PUBREL sent, PUBCOMP awaited. */
    private boolean[] released;
    private int[] seqOf;
    private long[] sentAtOf;
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
    /** QoS 1: PUBACKs; QoS 2: PUBRECs (the broker has taken the message). */
    volatile long acked;
    /** Flows finished (PUBACK / PUBCOMP) in the measured phase. */
    volatile long ackedMeasured;
    /** 5.0 PUBACK / PUBREC with a failure reason code: the broker did not take the message. */
    volatile long refused;
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

    Client(String clientId, int protocol, RunState state, int keepAlive, String username, String password) {
        this.clientId = clientId;
        this.protocol = protocol;
        this.state = state;
        this.keepAlive = keepAlive;
        this.username = username;
        this.password = password;
    }

    /** A CONNECT packet; shared with the idle connections of the connection run. */
    static MqttMessage connectMessage(String clientId, int protocol, boolean cleanSession, long sessionExpiry,
                                      int keepAlive, String username, String password) {
        MqttMessageBuilders.ConnectBuilder b = MqttMessageBuilders.connect()
                .clientId(clientId)
                .protocolVersion(protocol == 5 ? MqttVersion.MQTT_5 : MqttVersion.MQTT_3_1_1)
                .cleanSession(cleanSession)
                .keepAlive(keepAlive);
        if (username != null) {
            b.hasUser(true).username(username);
        }
        if (password != null) {
            b.hasPassword(true).password(password.getBytes(StandardCharsets.UTF_8));
        }
        if (protocol == 5) {
            MqttProperties props = new MqttProperties();
            if (sessionExpiry > 0) {
                props.add(new MqttProperties.IntegerProperty(
                        MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL.value(), (int) sessionExpiry));
            }
            b.properties(props);
        }
        return b.build();
    }

    // ---- commands, callable from any thread -------------------------------------------------------------------

    /** Sends CONNECT; the returned future completes with an accepted CONNACK. */
    CompletableFuture<MqttConnAckMessage> connect(boolean cleanSession, long sessionExpiry) {
        channel.writeAndFlush(connectMessage(clientId, protocol, cleanSession, sessionExpiry, keepAlive, username,
                password)).addListener(f -> {
                    if (!f.isSuccess()) {
                        connack.completeExceptionally(f.cause());
                    }
                });
        if (keepAlive > 0) {
            int every = Math.max(1, keepAlive / 3);
            channel.eventLoop().scheduleAtFixedRate(() -> {
                if (channel.isActive()) {
                    channel.writeAndFlush(new MqttMessage(PINGREQ));
                }
            }, every, every, TimeUnit.SECONDS);
        }
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
        this.busy = new boolean[65536];
        this.released = new boolean[65536];
        this.seqOf = new int[65536];
        this.sentAtOf = new long[65536];
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

    private void onPuback(MqttMessage m) {
        int packetId = ((MqttMessageIdVariableHeader) m.variableHeader()).messageId();
        if (pubQos != MqttQoS.AT_LEAST_ONCE || packetId <= 0 || !busy[packetId]) {
            return;
        }
        if (!refusedBy(m)) {
            accepted(packetId);
        }
        finished(packetId);
    }

    private void onPubrec(MqttMessage m) {
        int packetId = ((MqttMessageIdVariableHeader) m.variableHeader()).messageId();
        if (pubQos != MqttQoS.EXACTLY_ONCE || packetId <= 0 || !busy[packetId]) {
            return;
        }
        if (refusedBy(m)) {
            // A failed PUBREC ends the flow (MQTT 5.0 4.3.3): no PUBREL.
            finished(packetId);
            return;
        }
        if (!released[packetId]) {
            released[packetId] = true;
            accepted(packetId);
        }
        // Also for a repeated PUBREC: the broker may not have seen our PUBREL.
        channel.write(reply(PUBREL, packetId), channel.voidPromise());
    }

    private void onPubcomp(MqttMessage m) {
        int packetId = ((MqttMessageIdVariableHeader) m.variableHeader()).messageId();
        if (pubQos != MqttQoS.EXACTLY_ONCE || packetId <= 0 || !busy[packetId] || !released[packetId]) {
            return;
        }
        released[packetId] = false;
        finished(packetId);
    }

    /** The broker has the message: from now on not delivering it is a loss. */
    private void accepted(int packetId) {
        acked++;
        ackedSeqs.set(seqOf[packetId]);
    }

    /** The flow of packetId is over (PUBACK, PUBCOMP, or a refusal): its window slot is free. */
    private void finished(int packetId) {
        busy[packetId] = false;
        inflight--;
        inflightNow = inflight;
        if (state.measuring()) {
            ackedMeasured++;
            ackLatency.recordValue(Math.min(HIGHEST_MICROS, (System.nanoTime() - sentAtOf[packetId]) / 1000));
        }
        pump();
    }

    private boolean refusedBy(MqttMessage m) {
        if (m.variableHeader() instanceof MqttPubReplyMessageVariableHeader r && (r.reasonCode() & 0xFF) >= 0x80) {
            refused++;
            fail("broker refused message: reason 0x" + Integer.toHexString(r.reasonCode() & 0xFF));
            return true;
        }
        return false;
    }

    private MqttMessage reply(MqttFixedHeader type, int packetId) {
        return protocol == 5
                ? new MqttMessage(type, new MqttPubReplyMessageVariableHeader(packetId, (byte) 0, null))
                : new MqttMessage(type, MqttMessageIdVariableHeader.from(packetId));
    }

    // ---- receiving, on the event loop -------------------------------------------------------------------------

    private void onPublish(MqttPublishMessage m) {
        long now = System.nanoTime();
        MqttQoS qos = m.fixedHeader().qosLevel();
        if (qos != MqttQoS.AT_MOST_ONCE) {
            // QoS 2: delivered now (a redelivery would show as a duplicate); PUBCOMP follows the broker's PUBREL.
            channel.write(reply(qos == MqttQoS.AT_LEAST_ONCE ? PUBACK : PUBREC, m.variableHeader().packetId()),
                    channel.voidPromise());
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
            case PUBACK -> onPuback(msg);
            case PUBREC -> onPubrec(msg);
            case PUBREL -> channel.write(reply(PUBCOMP,
                    ((MqttMessageIdVariableHeader) msg.variableHeader()).messageId()), channel.voidPromise());
            case PUBCOMP -> onPubcomp(msg);
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
