package io.conduit.security;

/**
 * An authentication decision. Reason codes are MQTT 5.0 CONNACK codes; 3.x connections get the nearest 3.1.1 code.
 */
public record AuthResult(boolean accepted, int reasonCode, String reason) {

    public static final int BAD_USERNAME_OR_PASSWORD = 0x86;
    public static final int NOT_AUTHORIZED = 0x87;
    public static final int BAD_AUTHENTICATION_METHOD = 0x8C;

    private static final AuthResult OK = new AuthResult(true, 0, null);

    public static AuthResult accept() {
        return OK;
    }

    public static AuthResult failure(int reasonCode, String reason) {
        return new AuthResult(false, reasonCode, reason);
    }
}
