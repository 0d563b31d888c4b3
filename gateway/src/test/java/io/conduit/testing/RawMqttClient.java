package io.conduit.testing;

import io.conduit.mqtt.MqttFrameDecoder;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttSubscriptionOption;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.util.ReferenceCountUtil;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A wire-level MQTT client for tests that must see exact packets (flags, reason codes, properties) or send what a
 * well-behaved client library never would. Built on Netty's codec, like the broker, but in its own event loop.
 */
public final class RawMqttClient implements AutoCloseable {

    private static final EventLoopGroup GROUP = new NioEventLoopGroup(1);

    private final Channel channel;
    private final BlockingQueue<MqttMessage> received = new LinkedBlockingQueue<>();
    private final CountDownLatch closed = new CountDownLatch(1);

    private RawMqttClient(String host, int port) throws InterruptedException {
        channel = new Bootstrap().group(GROUP).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new MqttFrameDecoder(16 * 1024 * 1024),
                                new MqttDecoder(16 * 1024 * 1024), MqttEncoder.INSTANCE,
                                new SimpleChannelInboundHandler<MqttMessage>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, MqttMessage msg) {
                                        if (msg instanceof MqttPublishMessage p) {
                                            // Keep the payload past this handler: copy it out of the pooled buffer.
                                            received.add(copy(p));
                                        } else {
                                            received.add(msg);
                                        }
                                    }

                                    @Override
                                    public void channelInactive(ChannelHandlerContext ctx) {
                                        closed.countDown();
                                    }
                                });
                    }
                })
                .connect(host, port).sync().channel();
    }

    public static RawMqttClient open(int port) throws InterruptedException {
        return new RawMqttClient("127.0.0.1", port);
    }

    /** Opens a socket and sends CONNECT; returns the CONNACK. */
    public static RawMqttClient connect(int port, MqttVersion version, String clientId, boolean cleanStart,
                                        MqttProperties props) throws InterruptedException {
        RawMqttClient c = open(port);
        c.send(MqttMessageBuilders.connect().protocolVersion(version).clientId(clientId).cleanSession(cleanStart)
                .keepAlive(60).properties(props == null ? MqttProperties.NO_PROPERTIES : props).build());
        // CONNACK of a stored session waits for its row to commit (durable ack): give it more than one packet's time.
        MqttConnAckMessage ack = c.expect(MqttMessageType.CONNACK, Duration.ofSeconds(15));
        if (ack.variableHeader().connectReturnCode().byteValue() != 0) {
            throw new AssertionError("CONNACK " + ack.variableHeader().connectReturnCode());
        }
        c.lastConnAck = ack;
        return c;
    }

    private MqttConnAckMessage lastConnAck;

    public MqttConnAckMessage connAck() {
        return lastConnAck;
    }

    public void send(MqttMessage message) {
        channel.writeAndFlush(message).syncUninterruptibly();
    }

    public void sendRaw(byte[] bytes) {
        channel.writeAndFlush(Unpooled.wrappedBuffer(bytes)).syncUninterruptibly();
    }

    public void publish(String topic, String payload, int qos, boolean retain, int packetId, MqttProperties props) {
        send(MqttMessageBuilders.publish().topicName(topic).qos(MqttQoS.valueOf(qos)).retained(retain)
                .messageId(packetId).payload(Unpooled.copiedBuffer(payload, StandardCharsets.UTF_8))
                .properties(props == null ? MqttProperties.NO_PROPERTIES : props).build());
    }

    public MqttSubAckMessage subscribe(int packetId, String filter, int qos) {
        return subscribe(packetId, filter, MqttSubscriptionOption.onlyFromQos(MqttQoS.valueOf(qos)), null);
    }

    public MqttSubAckMessage subscribe(int packetId, String filter, MqttSubscriptionOption option,
                                       MqttProperties props) {
        send(MqttMessageBuilders.subscribe().messageId(packetId).addSubscription(filter, option)
                .properties(props == null ? MqttProperties.NO_PROPERTIES : props).build());
        return expect(MqttMessageType.SUBACK);
    }

    /** Sends PUBACK/PUBREC/PUBREL/PUBCOMP for a packet id. */
    public void ack(MqttMessageType type, int packetId) {
        MqttQoS qos = type == MqttMessageType.PUBREL ? MqttQoS.AT_LEAST_ONCE : MqttQoS.AT_MOST_ONCE;
        send(new MqttMessage(new MqttFixedHeader(type, false, qos, false, 0),
                MqttMessageIdVariableHeader.from(packetId)));
    }

    public void disconnect() {
        send(new MqttMessage(new MqttFixedHeader(MqttMessageType.DISCONNECT, false, MqttQoS.AT_MOST_ONCE, false, 0)));
        channel.close().syncUninterruptibly();
    }

    /** Sends a 5.0 DISCONNECT with a reason code and closes. */
    public void disconnect(int reasonCode, MqttProperties props) {
        send(new MqttMessage(new MqttFixedHeader(MqttMessageType.DISCONNECT, false, MqttQoS.AT_MOST_ONCE, false, 0),
                new MqttReasonCodeAndPropertiesVariableHeader((byte) reasonCode,
                        props == null ? MqttProperties.NO_PROPERTIES : props)));
        channel.close().syncUninterruptibly();
    }

    /** Drops the TCP connection without DISCONNECT, as a crashed device would. */
    public void kill() {
        channel.close().syncUninterruptibly();
    }

    /** The next packet, or null after the timeout. */
    public MqttMessage poll(Duration timeout) {
        try {
            return received.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The next packet, which must be of the given type and arrive within 5 s. */
    public <T extends MqttMessage> T expect(MqttMessageType type) {
        return expect(type, Duration.ofSeconds(5));
    }

    /** The next packet, which must be of the given type and arrive within {@code within}. */
    @SuppressWarnings("unchecked")
    public <T extends MqttMessage> T expect(MqttMessageType type, Duration within) {
        MqttMessage m = poll(within);
        if (m == null) {
            throw new AssertionError("no " + type + " within " + within.toSeconds() + " s");
        }
        if (m.fixedHeader().messageType() != type) {
            throw new AssertionError("expected " + type + " but got " + m);
        }
        return (T) m;
    }

    /** Asserts nothing arrives within the given time. */
    public void expectNothing(Duration within) {
        MqttMessage m = poll(within);
        if (m != null) {
            throw new AssertionError("expected no packet but got " + m);
        }
    }

    public boolean awaitClosed(Duration timeout) throws InterruptedException {
        return closed.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public boolean isOpen() {
        return channel.isActive();
    }

    /** The reason code of a 5.0 PUBACK/PUBREC/PUBREL/PUBCOMP. */
    public static int reasonCode(MqttMessage m) {
        Object h = m.variableHeader();
        if (h instanceof MqttPubReplyMessageVariableHeader r) {
            return r.reasonCode() & 0xFF;
        }
        if (h instanceof MqttReasonCodeAndPropertiesVariableHeader r) {
            return r.reasonCode() & 0xFF;
        }
        return 0;
    }

    public static String payload(MqttPublishMessage p) {
        return p.payload().toString(StandardCharsets.UTF_8);
    }

    private static MqttPublishMessage copy(MqttPublishMessage p) {
        ByteBuf copy = Unpooled.copiedBuffer(p.payload());
        return new MqttPublishMessage(p.fixedHeader(), p.variableHeader(), copy);
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        received.forEach(ReferenceCountUtil::release);
    }

    public static MqttConnectMessage connectPacket(MqttVersion version, String clientId, boolean cleanStart) {
        return MqttMessageBuilders.connect().protocolVersion(version).clientId(clientId).cleanSession(cleanStart)
                .keepAlive(60).build();
    }
}
