package io.conduit.security;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A device of the registry: who may connect (client id and/or username) and with what. Holds the password only as
 * its bcrypt hash and the SCRAM-SHA-256 credentials derived from it; {@link #toString()} prints neither.
 */
public record Device(long id, String clientId, String username, String passwordHash, ScramCredentials scram,
                     boolean enabled, List<String> groups, Map<String, Object> metadata, Instant createdAt,
                     Instant lastSeenAt, Source source) {

    /** Where a device was defined: through the admin API, or in the ACL file (read-only through the API). */
    public enum Source {
        API, FILE;

        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public Device {
        groups = List.copyOf(groups);
        metadata = metadata == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metadata));
    }

    public boolean hasPassword() {
        return passwordHash != null;
    }

    @Override
    public String toString() {
        return "Device[id=" + id + ", clientId=" + clientId + ", username=" + username + ", enabled=" + enabled
                + ", groups=" + groups + ", source=" + source.id() + "]";
    }
}
