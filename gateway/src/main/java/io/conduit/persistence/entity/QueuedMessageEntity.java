package io.conduit.persistence.entity;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Embedded;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import org.hibernate.annotations.Immutable;

import java.io.Serializable;
import java.util.List;

/**
 * An outgoing QoS 1/2 message of a stored session ({@code mqtt_queued_message}): queued while {@link #packetId} is
 * null, in flight once set. Read-only here; the hot path writes these rows with JDBC batches.
 */
@Entity
@Immutable
@Table(name = "mqtt_queued_message")
@IdClass(QueuedMessageEntity.Key.class)
public class QueuedMessageEntity extends PanacheEntityBase {

    @Id
    @Column(name = "client_id")
    public String clientId;

    @Id
    public long seq;

    @Column(name = "packet_id")
    public Integer packetId;

    public boolean released;

    public boolean retain;

    @Column(name = "subscription_ids")
    public Integer[] subscriptionIds;

    @Embedded
    public MessageFields message;

    public record Key(String clientId, long seq) implements Serializable {
    }

    /** The messages in flight of every session, oldest first per session. */
    public static List<QueuedMessageEntity> allInFlight() {
        return list("packetId IS NOT NULL ORDER BY clientId, seq");
    }

    /** The first {@code perSession} queued (not in flight) messages of every session, oldest first per session. */
    @SuppressWarnings("unchecked")
    public static List<QueuedMessageEntity> queueHeads(int perSession) {
        return getEntityManager().createNativeQuery("SELECT * FROM mqtt_queued_message WHERE (client_id, seq) IN "
                        + "(SELECT client_id, seq FROM (SELECT client_id, seq, row_number() OVER (PARTITION BY "
                        + "client_id ORDER BY seq) AS position FROM mqtt_queued_message WHERE packet_id IS NULL) h "
                        + "WHERE position <= :n) ORDER BY client_id, seq", QueuedMessageEntity.class)
                .setParameter("n", perSession).getResultList();
    }

    /** Per session: the highest sequence number and how many messages are queued (not in flight). */
    public static List<Object[]> sequenceAndQueueLength() {
        return getEntityManager().createQuery("SELECT q.clientId, max(q.seq), "
                + "sum(CASE WHEN q.packetId IS NULL THEN 1 ELSE 0 END) FROM QueuedMessageEntity q "
                + "GROUP BY q.clientId", Object[].class).getResultList();
    }
}
