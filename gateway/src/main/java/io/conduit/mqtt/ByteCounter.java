package io.conduit.mqtt;

import io.conduit.metrics.BrokerMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/** Counts MQTT bytes in and out, below the codec, for $SYS and the metrics endpoint. */
@ChannelHandler.Sharable
final class ByteCounter extends ChannelDuplexHandler {

    private final BrokerMetrics metrics;

    ByteCounter(BrokerMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof ByteBuf buf) {
            metrics.bytesReceived.add(buf.readableBytes());
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof ByteBuf buf) {
            metrics.bytesSent.add(buf.readableBytes());
        }
        super.write(ctx, msg, promise);
    }
}
