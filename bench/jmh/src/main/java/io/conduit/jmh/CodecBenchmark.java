package io.conduit.jmh;

import io.conduit.mqtt.MqttFrameDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttPublishVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.util.ReferenceCountUtil;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The codec path of a PUBLISH as the gateway's pipeline runs it: inbound through {@link MqttFrameDecoder} (whole
 * packets first, the netty#16916 workaround) and Netty's {@link MqttDecoder}; outbound through {@link MqttEncoder}.
 * Each inbound buffer holds {@code batch} packets, as a busy connection's reads do.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CodecBenchmark {

    private static final int MAX_PACKET = 1 << 20;

    @Param({"16", "1024"})
    public int payloadSize;

    @Param({"1", "16"})
    public int batch;

    private EmbeddedChannel inbound;
    private EmbeddedChannel outbound;
    private ByteBuf packets;
    private byte[] payload;

    @Setup(Level.Trial)
    public void setUp() {
        inbound = new EmbeddedChannel(new MqttFrameDecoder(MAX_PACKET), new MqttDecoder(MAX_PACKET, 256));
        outbound = new EmbeddedChannel(MqttEncoder.INSTANCE);
        payload = new byte[payloadSize];
        packets = Unpooled.directBuffer();
        for (int i = 0; i < batch; i++) {
            outbound.writeOutbound(publish(i + 1));
            ByteBuf encoded = outbound.readOutbound();
            packets.writeBytes(encoded);
            encoded.release();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        packets.release();
        inbound.finishAndReleaseAll();
        outbound.finishAndReleaseAll();
    }

    private MqttPublishMessage publish(int packetId) {
        return new MqttPublishMessage(
                new MqttFixedHeader(MqttMessageType.PUBLISH, false, MqttQoS.AT_LEAST_ONCE, false, 0),
                new MqttPublishVariableHeader("fleet/site-7/dev-4242/telemetry", packetId),
                Unpooled.wrappedBuffer(payload));
    }

    /** Decodes {@code batch} PUBLISH packets arriving in one read. */
    @Benchmark
    public int decode() {
        inbound.writeInbound(packets.retainedDuplicate());
        int n = 0;
        Object msg;
        while ((msg = inbound.readInbound()) != null) {
            n++;
            ReferenceCountUtil.release(msg);
        }
        return n;
    }

    /** Encodes {@code batch} PUBLISH packets. */
    @Benchmark
    public int encode() {
        int bytes = 0;
        for (int i = 0; i < batch; i++) {
            outbound.writeOutbound(publish(i + 1));
            ByteBuf encoded = outbound.readOutbound();
            bytes += encoded.readableBytes();
            encoded.release();
        }
        return bytes;
    }
}
