package io.conduit.mqtt;

/** MQTT 5.0 reason codes the broker sends (section 2.4), and their 3.1.1 CONNACK equivalents. */
final class ReasonCodes {

    static final int SUCCESS = 0x00;
    static final int NO_MATCHING_SUBSCRIBERS = 0x10;
    static final int NO_SUBSCRIPTION_EXISTED = 0x11;
    static final int CONTINUE_AUTHENTICATION = 0x18;
    static final int RE_AUTHENTICATE = 0x19;
    static final int UNSPECIFIED_ERROR = 0x80;
    static final int MALFORMED_PACKET = 0x81;
    static final int PROTOCOL_ERROR = 0x82;
    static final int UNSUPPORTED_PROTOCOL_VERSION = 0x84;
    static final int CLIENT_IDENTIFIER_NOT_VALID = 0x85;
    static final int NOT_AUTHORIZED = 0x87;
    static final int KEEP_ALIVE_TIMEOUT = 0x8D;
    static final int SESSION_TAKEN_OVER = 0x8E;
    static final int TOPIC_FILTER_INVALID = 0x8F;
    static final int TOPIC_NAME_INVALID = 0x90;
    static final int PACKET_IDENTIFIER_NOT_FOUND = 0x92;
    static final int RECEIVE_MAXIMUM_EXCEEDED = 0x93;
    static final int TOPIC_ALIAS_INVALID = 0x94;
    static final int PACKET_TOO_LARGE = 0x95;
    static final int QUOTA_EXCEEDED = 0x97;
    static final int PAYLOAD_FORMAT_INVALID = 0x99;
    static final int SERVER_SHUTTING_DOWN = 0x8B;
    static final int SHARED_SUBSCRIPTIONS_NOT_SUPPORTED = 0x9E;

    // 3.1.1 CONNACK return codes.
    static final int V3_UNACCEPTABLE_PROTOCOL = 0x01;
    static final int V3_IDENTIFIER_REJECTED = 0x02;
    static final int V3_SERVER_UNAVAILABLE = 0x03;
    static final int V3_BAD_USERNAME_OR_PASSWORD = 0x04;
    static final int V3_NOT_AUTHORIZED = 0x05;

    private ReasonCodes() {
    }

    /** The 3.1.1 CONNACK return code closest to a 5.0 CONNACK reason code. */
    static int toV3Connack(int v5) {
        return switch (v5) {
            case 0x00 -> 0x00;
            case 0x84 -> V3_UNACCEPTABLE_PROTOCOL;
            case 0x85 -> V3_IDENTIFIER_REJECTED;
            case 0x86 -> V3_BAD_USERNAME_OR_PASSWORD;
            case 0x88, 0x89, 0x97 -> V3_SERVER_UNAVAILABLE;
            default -> V3_NOT_AUTHORIZED;
        };
    }
}
