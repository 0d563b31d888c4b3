package io.conduit.api.mqtt;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An application message with all its MQTT 5.0 properties. Immutable: {@link #toBuilder()} makes a changed copy.
 * The payload is handed out as a read-only view.
 */
public final class PublishPacket {

    private final String topic;
    private final byte[] payload;
    private final int qos;
    private final boolean retain;
    private final Integer payloadFormat;
    private final String contentType;
    private final String responseTopic;
    private final byte[] correlationData;
    private final List<Map.Entry<String, String>> userProperties;
    private final long messageExpiryInterval;

    private PublishPacket(Builder b) {
        this.topic = Objects.requireNonNull(b.topic, "topic");
        this.payload = b.payload;
        this.qos = b.qos;
        this.retain = b.retain;
        this.payloadFormat = b.payloadFormat;
        this.contentType = b.contentType;
        this.responseTopic = b.responseTopic;
        this.correlationData = b.correlationData;
        this.userProperties = List.copyOf(b.userProperties);
        this.messageExpiryInterval = b.messageExpiryInterval;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder().topic(topic).payload(payload).qos(qos).retain(retain)
                .contentType(contentType).responseTopic(responseTopic).correlationData(correlationData)
                .messageExpiryInterval(messageExpiryInterval);
        b.payloadFormat = payloadFormat;
        b.userProperties.addAll(userProperties);
        return b;
    }

    public String topic() {
        return topic;
    }

    public ByteBuffer payload() {
        return ByteBuffer.wrap(payload).asReadOnlyBuffer();
    }

    /** A copy of the payload. */
    public byte[] payloadBytes() {
        return payload.clone();
    }

    public String payloadAsString() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    public int qos() {
        return qos;
    }

    public boolean retain() {
        return retain;
    }

    /** 5.0 Payload Format Indicator: 0 bytes, 1 UTF-8. */
    public Optional<Integer> payloadFormat() {
        return Optional.ofNullable(payloadFormat);
    }

    public Optional<String> contentType() {
        return Optional.ofNullable(contentType);
    }

    public Optional<String> responseTopic() {
        return Optional.ofNullable(responseTopic);
    }

    public Optional<byte[]> correlationData() {
        return Optional.ofNullable(correlationData).map(byte[]::clone);
    }

    /** User properties in order; a name may repeat. */
    public List<Map.Entry<String, String>> userProperties() {
        return userProperties;
    }

    /** Seconds before the message expires, or -1 when it does not. */
    public long messageExpiryInterval() {
        return messageExpiryInterval;
    }

    @Override
    public String toString() {
        return "PublishPacket[topic=" + topic + ", qos=" + qos + ", retain=" + retain + ", " + payload.length
                + " bytes]";
    }

    /** Builds a {@link PublishPacket}. Defaults: empty payload, QoS 0, not retained, no properties. */
    public static final class Builder {
        private String topic;
        private byte[] payload = new byte[0];
        private int qos;
        private boolean retain;
        private Integer payloadFormat;
        private String contentType;
        private String responseTopic;
        private byte[] correlationData;
        private final List<Map.Entry<String, String>> userProperties = new ArrayList<>();
        private long messageExpiryInterval = -1;

        private Builder() {
        }

        public Builder topic(String topic) {
            this.topic = topic;
            return this;
        }

        public Builder payload(byte[] payload) {
            this.payload = payload == null ? new byte[0] : payload.clone();
            return this;
        }

        public Builder payload(String payload) {
            return payload(payload.getBytes(StandardCharsets.UTF_8));
        }

        public Builder qos(int qos) {
            if (qos < 0 || qos > 2) {
                throw new IllegalArgumentException("QoS must be 0, 1 or 2: " + qos);
            }
            this.qos = qos;
            return this;
        }

        public Builder retain(boolean retain) {
            this.retain = retain;
            return this;
        }

        public Builder payloadFormat(int format) {
            this.payloadFormat = format;
            return this;
        }

        public Builder contentType(String contentType) {
            this.contentType = contentType;
            return this;
        }

        public Builder responseTopic(String responseTopic) {
            this.responseTopic = responseTopic;
            return this;
        }

        public Builder correlationData(byte[] correlationData) {
            this.correlationData = correlationData == null ? null : correlationData.clone();
            return this;
        }

        public Builder userProperty(String name, String value) {
            userProperties.add(Map.entry(name, value));
            return this;
        }

        public Builder clearUserProperties() {
            userProperties.clear();
            return this;
        }

        public Builder messageExpiryInterval(long seconds) {
            this.messageExpiryInterval = seconds;
            return this;
        }

        public PublishPacket build() {
            return new PublishPacket(this);
        }
    }
}
