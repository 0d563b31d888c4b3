package io.conduit.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The first {@link #HEADER} bytes of every payload: the send time ({@link System#nanoTime()} of this JVM, so that
 * sender and receiver share a clock), the publisher's index and its per-publisher sequence number. The rest is
 * zeros up to the requested size.
 */
final class Payload {

    static final int HEADER = 16;

    private Payload() {
    }

    static ByteBuf write(ByteBufAllocator alloc, int size, long sentNanos, int publisher, int seq) {
        ByteBuf buf = alloc.buffer(size, size);
        buf.writeLong(sentNanos);
        buf.writeInt(publisher);
        buf.writeInt(seq);
        buf.writeZero(size - HEADER);
        return buf;
    }

    static long sentNanos(ByteBuf payload) {
        return payload.getLong(payload.readerIndex());
    }

    static int publisher(ByteBuf payload) {
        return payload.getInt(payload.readerIndex() + 8);
    }

    static int seq(ByteBuf payload) {
        return payload.getInt(payload.readerIndex() + 12);
    }
}
