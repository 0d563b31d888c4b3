package io.conduit.api.hooks;

/**
 * An allow / deny / pass answer for publish and subscribe permissions.
 *
 * @param reasonCode for a denial, the MQTT 5.0 reason code sent to the client (0x87 not authorized by default)
 */
public record Decision(Outcome outcome, int reasonCode, String reason) {

    public enum Outcome { ALLOW, DENY, NEXT }

    public static final int NOT_AUTHORIZED = 0x87;

    private static final Decision ALLOW = new Decision(Outcome.ALLOW, 0, null);
    private static final Decision NEXT = new Decision(Outcome.NEXT, 0, null);

    public static Decision allow() {
        return ALLOW;
    }

    public static Decision deny(String reason) {
        return new Decision(Outcome.DENY, NOT_AUTHORIZED, reason);
    }

    public static Decision deny(int reasonCode, String reason) {
        return new Decision(Outcome.DENY, reasonCode, reason);
    }

    public static Decision next() {
        return NEXT;
    }
}
