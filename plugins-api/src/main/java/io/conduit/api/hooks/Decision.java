package io.conduit.api.hooks;

/**
 * An allow / deny / pass answer for publish and subscribe permissions.
 *
 * @param outcome    allow, deny, or pass to the next in the chain
 * @param reasonCode for a denial, the MQTT 5.0 reason code sent to the client (0x87 not authorized by default)
 * @param reason     for a denial, a reason string for 5.0 clients, or null
 */
public record Decision(Outcome outcome, int reasonCode, String reason) {

    /** The kind of answer. */
    public enum Outcome {
        /** Permitted; the chain stops. */
        ALLOW,
        /** Refused; the chain stops. */
        DENY,
        /** No opinion; the next in the chain decides. */
        NEXT
    }

    /** The MQTT 5.0 reason code 0x87, Not authorized. */
    public static final int NOT_AUTHORIZED = 0x87;

    private static final Decision ALLOW = new Decision(Outcome.ALLOW, 0, null);
    private static final Decision NEXT = new Decision(Outcome.NEXT, 0, null);

    /**
     * Permits.
     *
     * @return the decision
     */
    public static Decision allow() {
        return ALLOW;
    }

    /**
     * Refuses with 0x87 Not authorized.
     *
     * @param reason a reason string, or null
     * @return the decision
     */
    public static Decision deny(String reason) {
        return new Decision(Outcome.DENY, NOT_AUTHORIZED, reason);
    }

    /**
     * Refuses with a reason code.
     *
     * @param reasonCode an MQTT 5.0 failure code, 0x80 or above
     * @param reason     a reason string, or null
     * @return the decision
     */
    public static Decision deny(int reasonCode, String reason) {
        return new Decision(Outcome.DENY, reasonCode, reason);
    }

    /**
     * Leaves the decision to the next in the chain.
     *
     * @return the decision
     */
    public static Decision next() {
        return NEXT;
    }
}
