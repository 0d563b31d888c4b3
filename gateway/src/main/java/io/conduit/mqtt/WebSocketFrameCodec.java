package io.conduit.mqtt;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

import java.util.List;

/**
 * MQTT over WebSocket carries the MQTT byte stream in binary frames, with no alignment between frames and packets:
 * unwrap frames into bytes for the MQTT decoder and wrap outgoing bytes into binary frames. Text frames are a
 * protocol violation (MQTT 5.0 section 6).
 */
@ChannelHandler.Sharable
final class WebSocketFrameCodec extends MessageToMessageCodec<WebSocketFrame, ByteBuf> {

    static final WebSocketFrameCodec INSTANCE = new WebSocketFrameCodec();

    @Override
    protected void encode(ChannelHandlerContext ctx, ByteBuf msg, List<Object> out) {
        out.add(new BinaryWebSocketFrame(msg.retain()));
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, WebSocketFrame frame, List<Object> out) {
        if (frame instanceof BinaryWebSocketFrame || frame instanceof ContinuationWebSocketFrame) {
            out.add(frame.content().retain());
        } else {
            ctx.close();
        }
    }
}
