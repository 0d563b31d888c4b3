package io.conduit.security;

/**
 * A CDI event: a device was changed ({@code now} is the new state) or removed ({@code now} is null). Observers drop
 * what they remember about it and act on live connections.
 */
public record DeviceChanged(long id, Device now) {

    /** Whether connections of this device must end: it is gone or disabled. */
    public boolean revoked() {
        return now == null || !now.enabled();
    }
}
