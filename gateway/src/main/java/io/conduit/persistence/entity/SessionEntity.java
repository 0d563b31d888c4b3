package io.conduit.persistence.entity;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.CollectionTable;
import jakarta.persistence.Column;
import jakarta.persistence.ElementCollection;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.OneToMany;
import jakarta.persistence.Table;
import org.hibernate.annotations.Immutable;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A persistent session as stored ({@code mqtt_session}), with its subscriptions and the incoming QoS 2 packet ids
 * awaiting PUBREL. Read-only: the broker writes these rows through the batch writer, in the order it changes them.
 */
@Entity
@Immutable
@Table(name = "mqtt_session")
public class SessionEntity extends PanacheEntityBase {

    @Id
    @Column(name = "client_id")
    public String clientId;

    @Column(name = "expiry_interval")
    public long expiryInterval;

    @Column(name = "protocol_level")
    public short protocolLevel;

    @Column(name = "created_at")
    public Instant createdAt;

    @Column(name = "disconnected_at")
    public Instant disconnectedAt;

    @Column(name = "will_topic")
    public String willTopic;

    @Column(name = "will_payload")
    public byte[] willPayload;

    @Column(name = "will_qos")
    public Short willQos;

    @Column(name = "will_retain")
    public Boolean willRetain;

    @Column(name = "will_delay")
    public Long willDelay;

    @Column(name = "will_payload_format")
    public Short willPayloadFormat;

    @Column(name = "will_content_type")
    public String willContentType;

    @Column(name = "will_response_topic")
    public String willResponseTopic;

    @Column(name = "will_correlation_data")
    public byte[] willCorrelationData;

    @Column(name = "will_user_properties")
    public String[] willUserProperties;

    @Column(name = "will_expiry_interval")
    public Long willExpiryInterval;

    @OneToMany(mappedBy = "session")
    public Set<SubscriptionEntity> subscriptions = new HashSet<>();

    @ElementCollection
    @CollectionTable(name = "mqtt_inbound_qos2", joinColumns = @JoinColumn(name = "client_id"))
    @Column(name = "packet_id")
    public Set<Integer> inboundQos2 = new HashSet<>();

    /** Every stored session with its subscriptions and QoS 2 ids, in one query (for recovery at startup). */
    public static List<SessionEntity> allWithSubscriptions() {
        return find("SELECT DISTINCT s FROM SessionEntity s LEFT JOIN FETCH s.subscriptions "
                + "LEFT JOIN FETCH s.inboundQos2").list();
    }
}
