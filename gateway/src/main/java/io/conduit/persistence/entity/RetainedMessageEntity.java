package io.conduit.persistence.entity;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.Immutable;

import java.time.Instant;

/** A retained message as stored ({@code mqtt_retained_message}); read-only, written through the batch writer. */
@Entity
@Immutable
@Table(name = "mqtt_retained_message")
public class RetainedMessageEntity extends PanacheEntityBase {

    @Id
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

    @Column(name = "user_properties")
    public String[] userProperties;

    @Column(name = "expiry_interval")
    public Long expiryInterval;

    @Column(name = "stored_at")
    public Instant storedAt;
}
