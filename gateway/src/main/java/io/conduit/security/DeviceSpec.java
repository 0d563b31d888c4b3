package io.conduit.security;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/** A device to create: the password already hashed (never the password itself). */
public record DeviceSpec(String clientId, String username, String passwordHash, ScramCredentials scram,
                         boolean enabled, List<String> groups, Map<String, Object> metadata, Device.Source source) {

    /** How a file device is recognised from one load of the file to the next: its username, else its client id. */
    public String fileKey() {
        return fileKey(username, clientId);
    }

    public static String fileKey(String username, String clientId) {
        return username != null ? "user:" + username : "client:" + clientId;
    }

    /** Whether {@code d} already is this device (what a file reload compares). */
    public boolean sameAs(Device d) {
        return Objects.equals(d.clientId(), clientId) && Objects.equals(d.username(), username)
                && Objects.equals(d.passwordHash(), passwordHash) && d.enabled() == enabled
                && d.groups().equals(groups) && d.metadata().equals(metadata == null ? Map.of() : metadata);
    }
}
