package io.conduit.persistence;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.time.Instant;
import java.util.Map;

/** A row of the {@code device} table (Flyway V2). Only {@link PostgresDeviceRegistry} touches it. */
@Entity
@Table(name = "device")
public class DeviceEntity {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "client_id")
    public String clientId;

    public String username;

    @Column(name = "password_hash")
    public String passwordHash;

    @Column(name = "scram_salt")
    public byte[] scramSalt;

    @Column(name = "scram_iterations")
    public Integer scramIterations;

    @Column(name = "scram_stored_key")
    public byte[] scramStoredKey;

    @Column(name = "scram_server_key")
    public byte[] scramServerKey;

    public boolean enabled;

    @JdbcTypeCode(SqlTypes.ARRAY)
    @Column(name = "groups", columnDefinition = "text[]")
    public String[] groups;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(columnDefinition = "jsonb")
    public Map<String, Object> metadata;

    @Column(name = "created_at")
    public Instant createdAt;

    @Column(name = "last_seen_at")
    public Instant lastSeenAt;

    /** {@code api} or {@code file}. */
    public String source;
}
