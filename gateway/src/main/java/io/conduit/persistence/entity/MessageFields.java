package io.conduit.persistence.entity;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;

import java.time.Instant;

/**
 * The columns a stored message has in every table that holds one (queued and retained messages): topic, payload,
 * QoS, publisher and the 5.0 properties. Expiry is the interval left when stored, counted from {@link #storedAt}.
 */
@Embeddable
public class MessageFields {

    public String topic;

    public byte[] payload;

    public short qos;

    @Column(name = "publisher_id")
    public String publisherId;

    @Column(name = "payload_format")
    public Short payloadFormat;

    @Column(name = "content_type")
    public String contentType;

    @Column(name = "response_topic")
    public String responseTopic;

    @Column(name = "correlation_data")
    public byte[] correlationData;

    /** key, value, key, value ... */
    @Column(name = "user_properties")
    public String[] userProperties;

    @Column(name = "expiry_interval")
    public Long expiryInterval;

    @Column(name = "stored_at")
    public Instant storedAt;
}
