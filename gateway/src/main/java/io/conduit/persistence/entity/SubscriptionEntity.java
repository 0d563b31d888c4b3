package io.conduit.persistence.entity;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;
import org.hibernate.annotations.Immutable;

import java.io.Serializable;

/** A subscription of a stored session ({@code mqtt_subscription}); read-only, like {@link SessionEntity}. */
@Entity
@Immutable
@Table(name = "mqtt_subscription")
@IdClass(SubscriptionEntity.Key.class)
public class SubscriptionEntity extends PanacheEntityBase {

    @Id
    @Column(name = "client_id")
    public String clientId;

    /** The filter as subscribed, with any {@code $share/group/} prefix. */
    @Id
    @Column(name = "topic_key")
    public String topicKey;

    @ManyToOne
    @JoinColumn(name = "client_id", insertable = false, updatable = false)
    public SessionEntity session;

    @Column(name = "topic_filter")
    public String topicFilter;

    @Column(name = "share_group")
    public String shareGroup;

    public short qos;

    @Column(name = "no_local")
    public boolean noLocal;

    @Column(name = "retain_as_published")
    public boolean retainAsPublished;

    @Column(name = "retain_handling")
    public short retainHandling;

    @Column(name = "subscription_id")
    public int subscriptionId;

    public record Key(String clientId, String topicKey) implements Serializable {
    }
}
