package io.conduit.mqtt;

import io.conduit.security.Devices;
import io.conduit.testing.RawMqttClient;
import io.conduit.testing.ScramClient;
import io.conduit.testing.Wire;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.conduit.security.ScramSha256Authenticator.METHOD;
import static io.conduit.testing.V5Packets.auth;
import static io.conduit.testing.V5Packets.binaryProp;
import static io.conduit.testing.V5Packets.expectDisconnect;
import static io.conduit.testing.V5Packets.property;
import static io.conduit.testing.V5Packets.props;
import static io.conduit.testing.V5Packets.returnCode;
import static io.conduit.testing.V5Packets.stringProp;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.AUTHENTICATION_DATA;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.AUTHENTICATION_METHOD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SCRAM-SHA-256 over MQTT 5.0 AUTH packets, at CONNECT and as re-authentication, with a client written from RFC 5802
 * against a device of the registry (in memory here), whose SCRAM credentials were derived when its password was set.
 */
@QuarkusTest
class ScramAuthTest {

    static final String USER = "scram-user";
    static final String PASSWORD = "pencil-\u00e9t\u00e9";
    static final int ITERATIONS = 4096;

    @Inject
    MqttServer server;

    @Inject
    Devices devices;

    @BeforeEach
    void registerDevice() {
        if (devices.forLogin(USER, null) == null) {
            devices.create(new Devices.NewDevice(null, USER, PASSWORD, true, List.of(), Map.of()));
        }
    }

    /** Sends CONNECT with the username and client-first-message, answers the challenge; returns the CONNACK. */
    private MqttConnAckMessage connect(RawMqttClient c, String clientId, String username, ScramClient scram) {
        MqttProperties props = props(stringProp(AUTHENTICATION_METHOD, METHOD),
                binaryProp(AUTHENTICATION_DATA, scram.clientFirst()));
        c.send(Wire.connect(MqttVersion.MQTT_5, clientId, true, 60, props).hasUser(true).username(username).build());
        MqttMessage challenge = c.expect(MqttMessageType.AUTH);
        assertEquals(0x18, RawMqttClient.reasonCode(challenge), "continue authentication");
        String serverFirst = new String((byte[]) property(challenge, AUTHENTICATION_DATA));
        assertTrue(serverFirst.matches("r=[^,]+,s=[^,]+,i=" + ITERATIONS), serverFirst);
        c.send(auth(0x18, METHOD, scram.clientFinal((byte[]) property(challenge, AUTHENTICATION_DATA))));
        return c.expect(MqttMessageType.CONNACK);
    }

    @Test
    void theRightPasswordConnectsAndTheServerProvesItKnowsItToo() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(server.tcpPort())) {
            ScramClient scram = new ScramClient(USER, PASSWORD);
            MqttConnAckMessage ack = connect(c, "scram-ok", USER, scram);
            assertEquals(0x00, returnCode(ack));
            assertEquals(METHOD, property(ack, AUTHENTICATION_METHOD));
            assertTrue(scram.serverVerified((byte[]) property(ack, AUTHENTICATION_DATA)), "server signature");
            Wire.ping(c);
            c.expect(MqttMessageType.PINGRESP);
        }
    }

    @Test
    void aWrongPasswordIsRefused() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(server.tcpPort())) {
            assertEquals(0x86, returnCode(connect(c, "scram-wrong", USER, new ScramClient(USER, "pencil"))));
        }
    }

    @Test
    void anUnknownUserIsChallengedLikeAnyOtherAndRefused() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(server.tcpPort())) {
            assertEquals(0x86, returnCode(connect(c, "scram-unknown", "nobody", new ScramClient("nobody",
                    PASSWORD))));
        }
    }

    @Test
    void theScramUserMustBeTheConnectUsername() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(server.tcpPort())) {
            MqttProperties props = props(stringProp(AUTHENTICATION_METHOD, METHOD),
                    binaryProp(AUTHENTICATION_DATA, new ScramClient(USER, PASSWORD).clientFirst()));
            c.send(Wire.connect(MqttVersion.MQTT_5, "scram-other", true, 60, props).hasUser(true)
                    .username("someone-else").build());
            assertEquals(0x86, returnCode(c.expect(MqttMessageType.CONNACK)));
        }
    }

    @Test
    void reauthenticationOnALiveConnection() throws Exception {
        try (RawMqttClient c = RawMqttClient.open(server.tcpPort())) {
            assertEquals(0x00, returnCode(connect(c, "scram-reauth", USER, new ScramClient(USER, PASSWORD))));

            ScramClient again = new ScramClient(USER, PASSWORD);
            c.send(auth(0x19, METHOD, again.clientFirst()));
            MqttMessage challenge = c.expect(MqttMessageType.AUTH);
            assertEquals(0x18, RawMqttClient.reasonCode(challenge));
            c.send(auth(0x18, METHOD, again.clientFinal((byte[]) property(challenge, AUTHENTICATION_DATA))));
            MqttMessage done = c.expect(MqttMessageType.AUTH);
            assertEquals(0x00, RawMqttClient.reasonCode(done), "re-authenticated");
            assertTrue(again.serverVerified((byte[]) property(done, AUTHENTICATION_DATA)));

            // A re-authentication with the wrong password ends the connection.
            ScramClient wrong = new ScramClient(USER, "guess");
            c.send(auth(0x19, METHOD, wrong.clientFirst()));
            MqttMessage next = c.expect(MqttMessageType.AUTH);
            c.send(auth(0x18, METHOD, wrong.clientFinal((byte[]) property(next, AUTHENTICATION_DATA))));
            expectDisconnect(c, 0x86);
        }
    }
}
