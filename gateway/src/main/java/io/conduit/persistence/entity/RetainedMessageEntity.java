package io.conduit.persistence.entity;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.AttributeOverride;
import jakarta.persistence.Column;
import jakarta.persistence.Embedded;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.Immutable;

/** A retained message as stored ({@code mqtt_retained_message}); read-only, written through the batch writer. */
@Entity
@Immutable
@Table(name = "mqtt_retained_message")
public class RetainedMessageEntity extends PanacheEntityBase {

    @Id
    public String topic;

    /** Its topic column is the id: mapped once, read through either. */
    @Embedded
    @AttributeOverride(name = "topic", column = @Column(name = "topic", insertable = false, updatable = false))
    public MessageFields message;
}
