package io.conduit.mqtt;

import io.conduit.testing.ChallengeAuthenticator;
import io.conduit.testing.RawMqttClient;
import io.conduit.testing.V5Packets;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import static io.conduit.testing.ChallengeAuthenticator.ANSWER;
import static io.conduit.testing.ChallengeAuthenticator.CHALLENGE;
import static io.conduit.testing.ChallengeAuthenticator.HELLO;
import static io.conduit.testing.ChallengeAuthenticator.METHOD;
import static io.conduit.testing.V5Packets.auth;
import static io.conduit.testing.V5Packets.binaryProp;
import static io.conduit.testing.V5Packets.connect;
import static io.conduit.testing.V5Packets.expectDisconnect;
import static io.conduit.testing.V5Packets.property;
import static io.conduit.testing.V5Packets.props;
import static io.conduit.testing.V5Packets.returnCode;
import static io.conduit.testing.V5Packets.stringProp;
import static io.conduit.testing.V5Packets.utf8;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.AUTHENTICATION_DATA;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.AUTHENTICATION_METHOD;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MQTT 5.0 section 4.12: enhanced authentication with AUTH packets, at CONNECT and as re-authentication, against
 * the test method {@link ChallengeAuthenticator}.
 */
@QuarkusTest
class EnhancedAuthTest {

    @Inject
    MqttServer server;

    @Test
    void challengeAnsweredCorrectlyConnects() throws Exception {
        try (RawMqttClient c = start("eauth-ok", METHOD)) {
            answerChallenge(c);
            MqttConnAckMessage ack = c.expect(MqttMessageType.CONNACK);
            assertEquals(0x00, returnCode(ack));
            assertEquals(METHOD, property(ack, AUTHENTICATION_METHOD), "CONNACK names the method used");
            assertArrayEquals(utf8("welcome eauth-ok"), (byte[]) property(ack, AUTHENTICATION_DATA));

            // The connection works like any other.
            c.subscribe(1, "eauth/ok/t", 0);
            c.publish("eauth/ok/t", "in", 0, false, 0, null);
            assertEquals("in", RawMqttClient.payload(c.expect(MqttMessageType.PUBLISH)));
        }
    }

    @Test
    void wrongAnswerIsRefused() throws Exception {
        try (RawMqttClient c = start("eauth-wrong", METHOD)) {
            MqttMessage challenge = c.expect(MqttMessageType.AUTH);
            assertEquals(0x18, RawMqttClient.reasonCode(challenge));
            c.send(auth(0x18, METHOD, utf8("5")));
            int code = returnCode(c.expect(MqttMessageType.CONNACK));
            assertTrue(code == 0x87 || code == 0x86, "not authorized / bad credentials, got " + code);
        }
    }

    @Test
    void unknownMethodIsRefused() throws Exception {
        try (RawMqttClient c = start("eauth-unknown", "no-such-method")) {
            assertEquals(0x8C, returnCode(c.expect(MqttMessageType.CONNACK)), "bad authentication method");
        }
    }

    @Test
    void reauthenticationOnALiveConnection() throws Exception {
        try (RawMqttClient c = start("eauth-reauth", METHOD)) {
            answerChallenge(c);
            assertEquals(0x00, returnCode(c.expect(MqttMessageType.CONNACK)));

            c.send(auth(0x19, METHOD, utf8(HELLO)));
            answerChallenge(c);
            MqttMessage done = c.expect(MqttMessageType.AUTH);
            assertEquals(0x00, RawMqttClient.reasonCode(done), "re-authentication succeeded");
            assertEquals(METHOD, property(done, AUTHENTICATION_METHOD));

            c.send(new MqttMessage(new MqttFixedHeader(MqttMessageType.PINGREQ, false, MqttQoS.AT_MOST_ONCE, false,
                    0)));
            c.expect(MqttMessageType.PINGRESP);
        }
    }

    @Test
    void failedReauthenticationDisconnects() throws Exception {
        try (RawMqttClient c = start("eauth-reauth-fail", METHOD)) {
            answerChallenge(c);
            assertEquals(0x00, returnCode(c.expect(MqttMessageType.CONNACK)));

            c.send(auth(0x19, METHOD, utf8(HELLO)));
            c.expect(MqttMessageType.AUTH);
            c.send(auth(0x18, METHOD, utf8("22")));
            expectDisconnect(c, 0x87);
        }
    }

    @Test
    void reauthenticationWithAnotherMethodIsAProtocolError() throws Exception {
        try (RawMqttClient c = start("eauth-reauth-other", METHOD)) {
            answerChallenge(c);
            assertEquals(0x00, returnCode(c.expect(MqttMessageType.CONNACK)));

            c.send(auth(0x19, "another-method", utf8(HELLO)));
            expectDisconnect(c, 0x82);
        }
    }

    @Test
    void authWithoutEnhancedAuthenticationIsAProtocolError() throws Exception {
        try (RawMqttClient c = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, "eauth-none", true,
                null)) {
            c.send(auth(0x19, METHOD, utf8(HELLO)));
            expectDisconnect(c, 0x82);
        }
    }

    /** Sends a CONNECT naming the method with "hello" as its data; nothing is read yet. */
    private RawMqttClient start(String clientId, String method) throws InterruptedException {
        MqttProperties props = props(stringProp(AUTHENTICATION_METHOD, method),
                binaryProp(AUTHENTICATION_DATA, utf8(HELLO)));
        return V5Packets.send(server.tcpPort(), connect(MqttVersion.MQTT_5, clientId, true, 60, props));
    }

    /** Reads the broker's challenge and sends the right answer. */
    private static void answerChallenge(RawMqttClient c) {
        MqttMessage challenge = c.expect(MqttMessageType.AUTH);
        assertEquals(0x18, RawMqttClient.reasonCode(challenge), "continue authentication");
        assertEquals(METHOD, property(challenge, AUTHENTICATION_METHOD));
        assertArrayEquals(utf8(CHALLENGE), (byte[]) property(challenge, AUTHENTICATION_DATA));
        c.send(auth(0x18, METHOD, utf8(ANSWER)));
    }
}
