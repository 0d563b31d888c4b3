package io.conduit.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.List;

/**
 * A copy of the gateway's {@code io.conduit.mqtt.MqttFrameDecoder}: the bench must not depend on the gateway.
 *
 * <p>Hands {@link io.netty.handler.codec.mqtt.MqttDecoder} whole MQTT packets only. Netty 4.1.133's decoder rejects a
 * valid packet with {@code TooLongFrameException} whenever its variable header arrives split across two reads
 * (netty/netty#16776, fixed by #16916); TCP splits packets anywhere, so busy clients were disconnected at random.
 * Remove this handler once Netty carries the fix.
 *
 * <p>A packet declaring more than {@code maxPacketSize} bytes, or a malformed Remaining Length, is passed through
 * untouched from then on, so that the MQTT decoder reports it exactly as before and nothing large is buffered here.
 */
public final class MqttFrameDecoder extends ByteToMessageDecoder {

    private final int maxPacketSize;
    private boolean passThrough;

    public MqttFrameDecoder(int maxPacketSize) {
        this.maxPacketSize = maxPacketSize;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (passThrough) {
            out.add(in.readRetainedSlice(in.readableBytes()));
            return;
        }
        int start = in.readerIndex();
        int readable = in.readableBytes();
        int remaining = 0;
        int multiplier = 1;
        int headerLength = 1;
        while (true) {
            if (headerLength >= readable) {
                return;
            }
            byte b = in.getByte(start + headerLength);
            headerLength++;
            remaining += (b & 0x7F) * multiplier;
            if ((b & 0x80) == 0) {
                break;
            }
            multiplier *= 128;
            if (headerLength == 5) {
                passThrough = true;
                out.add(in.readRetainedSlice(readable));
                return;
            }
        }
        if (remaining > maxPacketSize) {
            passThrough = true;
            out.add(in.readRetainedSlice(readable));
            return;
        }
        if (readable >= headerLength + remaining) {
            out.add(in.readRetainedSlice(headerLength + remaining));
        }
    }
}
