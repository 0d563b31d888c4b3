package io.conduit.security;

import java.util.List;
import java.util.Map;

/** Changes to a device; null fields stay as they are. A new password comes hashed, with its SCRAM credentials. */
public record DeviceUpdate(Boolean enabled, List<String> groups, Map<String, Object> metadata, String passwordHash,
                           ScramCredentials scram) {
}
