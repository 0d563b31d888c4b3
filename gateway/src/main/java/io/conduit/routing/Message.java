package io.conduit.routing;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * An application message as the broker routes it: immutable, shared by every subscriber and store it reaches.
 * The payload is copied once off the wire so that no reference-counted buffer outlives the inbound packet.
 *
 * @param expiryInterval 5.0 Message Expiry Interval in seconds, or -1 when the message does not expire
 * @param createdNanos   {@link System#nanoTime()} at arrival, the base for the remaining expiry
 */
public record Message(
        String topic,
        byte[] payload,
        int qos,
        boolean retain,
        String publisherId,
        Integer payloadFormat,
        String contentType,
        String responseTopic,
        byte[] correlationData,
        List<Map.Entry<String, String>> userProperties,
        long expiryInterval,
        long createdNanos) {

    public static Message of(String topic, byte[] payload, int qos, boolean retain) {
        return new Message(topic, payload, qos, retain, null, null, null, null, null, List.of(), -1, System.nanoTime());
    }

    public static Message of(String topic, String payload, int qos, boolean retain) {
        return of(topic, payload.getBytes(StandardCharsets.UTF_8), qos, retain);
    }

    public boolean expires() {
        return expiryInterval >= 0;
    }

    /** Seconds left before expiry at {@code nowNanos}; 0 or less means expired. Meaningless when it never expires. */
    public long remainingExpiry(long nowNanos) {
        long elapsed = (nowNanos - createdNanos) / 1_000_000_000L;
        return expiryInterval - elapsed;
    }

    public boolean isExpired(long nowNanos) {
        return expires() && remainingExpiry(nowNanos) <= 0;
    }

    public Message withRetain(boolean newRetain) {
        return newRetain == retain ? this : new Message(topic, payload, qos, newRetain, publisherId, payloadFormat,
                contentType, responseTopic, correlationData, userProperties, expiryInterval, createdNanos);
    }
}
