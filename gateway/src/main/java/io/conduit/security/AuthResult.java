package io.conduit.security;

import java.util.Set;

/**
 * An authentication decision: accept (with who the client turned out to be), deny (with a reason code), or next (this
 * provider cannot tell; ask the next one). Reason codes are MQTT 5.0 CONNACK codes; 3.x connections get the nearest
 * 3.1.1 code.
 */
public record AuthResult(Verdict verdict, int reasonCode, String reason, Identity identity) {

    public static final int CLIENT_IDENTIFIER_NOT_VALID = 0x85;
    public static final int BAD_USERNAME_OR_PASSWORD = 0x86;
    public static final int NOT_AUTHORIZED = 0x87;
    public static final int SERVER_UNAVAILABLE = 0x88;
    public static final int SERVER_BUSY = 0x89;
    public static final int BAD_AUTHENTICATION_METHOD = 0x8C;

    public enum Verdict { ACCEPT, DENY, NEXT }

    /**
     * Who an accepted client is, for ACLs: its verified username (may be null) and groups; {@code deviceId} when a
     * registry device vouched for it.
     */
    public record Identity(String username, Set<String> groups, Long deviceId) {
        public Identity {
            groups = Set.copyOf(groups);
        }
    }

    private static final AuthResult OK = new AuthResult(Verdict.ACCEPT, 0, null, null);
    private static final AuthResult NEXT = new AuthResult(Verdict.NEXT, 0, null, null);

    /** Accepted as the client presented itself: its CONNECT username, no groups. */
    public static AuthResult accept() {
        return OK;
    }

    public static AuthResult accept(Identity identity) {
        return new AuthResult(Verdict.ACCEPT, 0, null, identity);
    }

    public static AuthResult failure(int reasonCode, String reason) {
        return new AuthResult(Verdict.DENY, reasonCode, reason, null);
    }

    public static AuthResult next() {
        return NEXT;
    }

    public boolean accepted() {
        return verdict == Verdict.ACCEPT;
    }
}
