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

    /**
     * A builder for a new message.
     *
     * @return an empty builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder holding this message's values, to make a changed copy.
     *
     * @return the builder
     */
    public Builder toBuilder() {
        Builder b = new Builder().topic(topic).qos(qos).retain(retain)
                .contentType(contentType).responseTopic(responseTopic).correlationData(correlationData)
                .messageExpiryInterval(messageExpiryInterval);
        // Immutable here and copied by the builder's setter only when replaced: no copy for an unchanged payload.
        b.payload = payload;
        b.payloadFormat = payloadFormat;
        b.userProperties.addAll(userProperties);
        return b;
    }

    /**
     * The topic name.
     *
     * @return the topic
     */
    public String topic() {
        return topic;
    }

    /**
     * The payload.
     *
     * @return a read-only view
     */
    public ByteBuffer payload() {
        return ByteBuffer.wrap(payload).asReadOnlyBuffer();
    }

    /**
     * The payload as bytes.
     *
     * @return a copy
     */
    public byte[] payloadBytes() {
        return payload.clone();
    }

    /**
     * The payload decoded as UTF-8.
     *
     * @return the text
     */
    public String payloadAsString() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    /**
     * The QoS.
     *
     * @return 0, 1 or 2
     */
    public int qos() {
        return qos;
    }

    /**
     * The RETAIN flag.
     *
     * @return the flag
     */
    public boolean retain() {
        return retain;
    }

    /**
     * 5.0 Payload Format Indicator.
     *
     * @return 0 bytes, 1 UTF-8; empty when not set
     */
    public Optional<Integer> payloadFormat() {
        return Optional.ofNullable(payloadFormat);
    }

    /**
     * 5.0 Content Type.
     *
     * @return the content type, if set
     */
    public Optional<String> contentType() {
        return Optional.ofNullable(contentType);
    }

    /**
     * 5.0 Response Topic.
     *
     * @return the response topic, if set
     */
    public Optional<String> responseTopic() {
        return Optional.ofNullable(responseTopic);
    }

    /**
     * 5.0 Correlation Data.
     *
     * @return a copy, if set
     */
    public Optional<byte[]> correlationData() {
        return Optional.ofNullable(correlationData).map(byte[]::clone);
    }

    /**
     * 5.0 user properties.
     *
     * @return an immutable list in order; a name may repeat
     */
    public List<Map.Entry<String, String>> userProperties() {
        return userProperties;
    }

    /**
     * 5.0 Message Expiry Interval.
     *
     * @return seconds before the message expires, or -1 when it does not
     */
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

        /**
         * Sets the topic name (required).
         *
         * @param topic a topic name without wildcards
         * @return this builder
         */
        public Builder topic(String topic) {
            this.topic = topic;
            return this;
        }

        /**
         * Sets the payload.
         *
         * @param payload the bytes (copied); null for none
         * @return this builder
         */
        public Builder payload(byte[] payload) {
            this.payload = payload == null ? new byte[0] : payload.clone();
            return this;
        }

        /**
         * Sets the payload to UTF-8 text.
         *
         * @param payload the text
         * @return this builder
         */
        public Builder payload(String payload) {
            return payload(payload.getBytes(StandardCharsets.UTF_8));
        }

        /**
         * Sets the QoS.
         *
         * @param qos 0, 1 or 2
         * @return this builder
         * @throws IllegalArgumentException for another value
         */
        public Builder qos(int qos) {
            if (qos < 0 || qos > 2) {
                throw new IllegalArgumentException("QoS must be 0, 1 or 2: " + qos);
            }
            this.qos = qos;
            return this;
        }

        /**
         * Sets the RETAIN flag.
         *
         * @param retain the flag
         * @return this builder
         */
        public Builder retain(boolean retain) {
            this.retain = retain;
            return this;
        }

        /**
         * Sets the 5.0 Payload Format Indicator.
         *
         * @param format 0 bytes, 1 UTF-8
         * @return this builder
         */
        public Builder payloadFormat(int format) {
            this.payloadFormat = format;
            return this;
        }

        /**
         * Sets the 5.0 Content Type.
         *
         * @param contentType the content type, or null for none
         * @return this builder
         */
        public Builder contentType(String contentType) {
            this.contentType = contentType;
            return this;
        }

        /**
         * Sets the 5.0 Response Topic.
         *
         * @param responseTopic the topic, or null for none
         * @return this builder
         */
        public Builder responseTopic(String responseTopic) {
            this.responseTopic = responseTopic;
            return this;
        }

        /**
         * Sets the 5.0 Correlation Data.
         *
         * @param correlationData the bytes (copied), or null for none
         * @return this builder
         */
        public Builder correlationData(byte[] correlationData) {
            this.correlationData = correlationData == null ? null : correlationData.clone();
            return this;
        }

        /**
         * Adds a 5.0 user property after those already set.
         *
         * @param name  the name
         * @param value the value
         * @return this builder
         */
        public Builder userProperty(String name, String value) {
            userProperties.add(Map.entry(name, value));
            return this;
        }

        /**
         * Removes every user property.
         *
         * @return this builder
         */
        public Builder clearUserProperties() {
            userProperties.clear();
            return this;
        }

        /**
         * Sets the 5.0 Message Expiry Interval.
         *
         * @param seconds seconds before the message expires, or -1 for never
         * @return this builder
         */
        public Builder messageExpiryInterval(long seconds) {
            this.messageExpiryInterval = seconds;
            return this;
        }

        /**
         * Makes the message.
         *
         * @return the immutable message
         * @throws NullPointerException when no topic was set
         */
        public PublishPacket build() {
            return new PublishPacket(this);
        }
    }
}
