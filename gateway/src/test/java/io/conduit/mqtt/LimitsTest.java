package io.conduit.mqtt;

import io.conduit.metrics.BrokerMetrics;
import io.conduit.testing.RawMqttClient;
import io.conduit.testing.V5Packets;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static io.conduit.testing.V5Packets.connect;
import static io.conduit.testing.V5Packets.intProp;
import static io.conduit.testing.V5Packets.property;
import static io.conduit.testing.V5Packets.props;
import static io.conduit.testing.V5Packets.returnCode;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connection limits that need smaller settings than the shared test profile: every test here runs against a broker
 * restarted with {@link Profile}, so they are kept together to pay for the restart once.
 */
@QuarkusTest
@TestProfile(LimitsTest.Profile.class)
class LimitsTest {

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "conduit.mqtt.limits.max-connections", "3",
                    "conduit.mqtt.connect-timeout", "1s",
                    "conduit.session.max-expiry-interval", "120");
        }
    }

    private static final Duration WAIT = Duration.ofSeconds(5);

    @Inject
    MqttServer server;

    @Inject
    BrokerMetrics metrics;

    @BeforeEach
    void noClientLeftFromAnotherTest() {
        // The server sees a client's close a little after the client does; the connection limit counts on it.
        await().atMost(WAIT).until(() -> metrics.clientsConnected.get() == 0);
    }

    @Test
    void connectionsBeyondTheMaximumAreRefused() throws Exception {
        try (RawMqttClient c1 = raw("limits-conn-1");
             RawMqttClient c2 = raw("limits-conn-2");
             RawMqttClient c3 = raw("limits-conn-3")) {
            try (RawMqttClient v5 = V5Packets.send(port(),
                    connect(MqttVersion.MQTT_5, "limits-conn-4", true, 60, null))) {
                assertEquals(0x97, returnCode(v5.expect(MqttMessageType.CONNACK)), "quota exceeded");
            }
            try (RawMqttClient v3 = V5Packets.send(port(),
                    connect(MqttVersion.MQTT_3_1_1, "limits-conn-5", true, 60, null))) {
                assertEquals(0x03, returnCode(v3.expect(MqttMessageType.CONNACK)), "server unavailable");
            }

            // The limit is on concurrent connections: a freed slot can be taken again.
            c3.disconnect();
            await().atMost(WAIT).until(() -> metrics.clientsConnected.get() == 2);
            try (RawMqttClient again = raw("limits-conn-6")) {
                assertTrue(again.isOpen());
            }
        }
    }

    @Test
    void aClientTakingOverItsOwnSessionIsNotCountedTwice() throws Exception {
        try (RawMqttClient c1 = raw("limits-takeover-1");
             RawMqttClient c2 = raw("limits-takeover-2");
             RawMqttClient c3 = raw("limits-takeover-3");
             // The broker is full, but this replaces limits-takeover-3's own connection.
             RawMqttClient again = raw("limits-takeover-3")) {
            assertTrue(again.isOpen());
            V5Packets.expectDisconnect(c3, 0x8E);
        }
    }

    @Test
    void socketThatNeverSendsConnectIsClosed() throws Exception {
        try (RawMqttClient silent = RawMqttClient.open(port())) {
            assertTrue(silent.awaitClosed(WAIT), "closed after the 1 s connect timeout");
        }
    }

    @Test
    void connectTimeoutNoLongerAppliesOnceConnected() throws Exception {
        try (RawMqttClient c = raw("limits-timeout-connected")) {
            // Quiet for longer than the connect timeout: the keep alive (60 s) governs now.
            c.expectNothing(Duration.ofMillis(1_500));
            c.send(new MqttMessage(new MqttFixedHeader(MqttMessageType.PINGREQ, false, MqttQoS.AT_MOST_ONCE, false,
                    0)));
            c.expect(MqttMessageType.PINGRESP);
        }
    }

    @Test
    void sessionExpiryIsCappedToTheConfiguredMaximum() throws Exception {
        try (RawMqttClient tooLong = RawMqttClient.connect(port(), MqttVersion.MQTT_5, "limits-expiry-long", true,
                props(intProp(SESSION_EXPIRY_INTERVAL, 1_000)));
             RawMqttClient within = RawMqttClient.connect(port(), MqttVersion.MQTT_5, "limits-expiry-short", true,
                     props(intProp(SESSION_EXPIRY_INTERVAL, 60)))) {
            assertEquals(120, property(tooLong.connAck(), SESSION_EXPIRY_INTERVAL), "CONNACK tells the cap");
            assertNull(property(within.connAck(), SESSION_EXPIRY_INTERVAL));
        }
    }

    private int port() {
        return server.tcpPort();
    }

    private RawMqttClient raw(String clientId) throws InterruptedException {
        return RawMqttClient.connect(port(), MqttVersion.MQTT_5, clientId, true, null);
    }
}
