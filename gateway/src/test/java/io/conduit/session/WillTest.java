package io.conduit.session;

import io.conduit.mqtt.MqttServer;
import io.conduit.testing.RawMqttClient;
import io.conduit.testing.Wire;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.WILL_DELAY_INTERVAL;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When the broker publishes a client's will, and when it must not. */
@QuarkusTest
class WillTest {

    @Inject
    MqttServer server;

    @Inject
    SessionRegistry sessions;

    private static String tag(MqttVersion v) {
        return v == MqttVersion.MQTT_5 ? "5" : "311";
    }

    private RawMqttClient watch(MqttVersion v, String clientId, String topic) throws InterruptedException {
        RawMqttClient w = RawMqttClient.connect(server.tcpPort(), v, clientId, true, null);
        Wire.subscribe(w, 1, 1, topic);
        return w;
    }

    private static MqttMessageBuilders.ConnectBuilder withWill(MqttVersion v, String clientId, boolean cleanStart,
                                                               int keepAlive, MqttProperties props, String willTopic,
                                                               MqttProperties willProps) {
        return Wire.connect(v, clientId, cleanStart, keepAlive, props).willFlag(true).willTopic(willTopic)
                .willMessage("bye from " + clientId).willQoS(MqttQoS.AT_LEAST_ONCE).willRetain(false)
                .willProperties(willProps == null ? MqttProperties.NO_PROPERTIES : willProps);
    }

    private static void assertWill(MqttPublishMessage m, String topic, String clientId) {
        assertEquals(topic, Wire.topic(m));
        assertEquals("bye from " + clientId, m.payload().toString(StandardCharsets.UTF_8));
        assertEquals(1, m.fixedHeader().qosLevel().value());
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void willIsPublishedWhenTheSocketDies(MqttVersion v) throws Exception {
        String id = "will-kill-" + tag(v);
        String topic = "will/" + tag(v) + "/kill";
        try (RawMqttClient w = watch(v, "will-kill-w-" + tag(v), topic)) {
            Wire.Connected c = Wire.open(server.tcpPort(), withWill(v, id, true, 60, null, topic, null));
            Wire.expectNothingPending(w);
            c.client().kill();
            assertWill(w.expect(MqttMessageType.PUBLISH), topic, id);
        }
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void willIsNotPublishedOnNormalDisconnect(MqttVersion v) throws Exception {
        String id = "will-norm-" + tag(v);
        String topic = "will/" + tag(v) + "/normal";
        try (RawMqttClient w = watch(v, "will-norm-w-" + tag(v), topic)) {
            Wire.Connected c = Wire.open(server.tcpPort(), withWill(v, id, true, 60, null, topic, null));
            c.client().disconnect();
            // The registry publishes a will before it drops the ended session: once the session is gone, a will
            // would already be on its way to the watcher.
            await().atMost(Duration.ofSeconds(5)).until(() -> sessions.get(id) == null);
            Wire.expectNothingPending(w);
        }
    }

    @Test
    void v5DisconnectWithWillMessageStillPublishesTheWill() throws Exception {
        String id = "will-0x04";
        String topic = "will/5/with-will";
        try (RawMqttClient w = watch(MqttVersion.MQTT_5, "will-0x04-w", topic)) {
            Wire.Connected c = Wire.open(server.tcpPort(), withWill(MqttVersion.MQTT_5, id, true, 60, null, topic,
                    null));
            c.client().disconnect(0x04, null);
            assertWill(w.expect(MqttMessageType.PUBLISH), topic, id);
        }
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void willIsPublishedWhenTheKeepAliveExpires(MqttVersion v) throws Exception {
        String id = "will-ka-" + tag(v);
        String topic = "will/" + tag(v) + "/keepalive";
        try (RawMqttClient w = watch(v, "will-ka-w-" + tag(v), topic)) {
            Wire.Connected c = Wire.open(server.tcpPort(), withWill(v, id, true, 1, null, topic, null));
            long start = System.nanoTime();
            // Silence: the broker must give up after 1.5 x the keep alive.
            if (v == MqttVersion.MQTT_5) {
                MqttMessage d = c.client().expect(MqttMessageType.DISCONNECT);
                assertEquals(0x8D, RawMqttClient.reasonCode(d), "Keep Alive timeout");
            }
            assertTrue(c.client().awaitClosed(Duration.ofSeconds(5)));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis >= 1200, "closed after " + millis + " ms, before 1.5 x keep alive");
            assertWill(w.expect(MqttMessageType.PUBLISH), topic, id);
        }
    }

    @Test
    void v5WillDelayHoldsTheWillBack() throws Exception {
        String id = "will-delay";
        String topic = "will/5/delay";
        try (RawMqttClient w = watch(MqttVersion.MQTT_5, "will-delay-w", topic)) {
            Wire.Connected c = Wire.open(server.tcpPort(), withWill(MqttVersion.MQTT_5, id, true, 60,
                    Wire.props(SESSION_EXPIRY_INTERVAL, 10), topic, Wire.props(WILL_DELAY_INTERVAL, 2)));
            c.client().kill();
            long start = System.nanoTime();
            MqttMessage m = w.poll(Duration.ofSeconds(5));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertNotNull(m, "no will within 5 s");
            assertWill((MqttPublishMessage) m, topic, id);
            assertTrue(millis >= 1700, "will arrived after " + millis + " ms, before its 2 s delay");
        }
    }

    @Test
    void v5ReconnectingWithinTheWillDelayCancelsTheWill() throws Exception {
        String id = "will-cancel";
        String topic = "will/5/cancel";
        MqttProperties session = Wire.props(SESSION_EXPIRY_INTERVAL, 10);
        try (RawMqttClient w = watch(MqttVersion.MQTT_5, "will-cancel-w", topic)) {
            Wire.Connected c = Wire.open(server.tcpPort(), withWill(MqttVersion.MQTT_5, id, true, 60, session,
                    topic, Wire.props(WILL_DELAY_INTERVAL, 2)));
            c.client().kill();
            long killed = System.nanoTime();
            await().atMost(Duration.ofSeconds(5)).until(() -> !sessions.get(id).isOnline());
            Wire.Connected back = Wire.open(server.tcpPort(), Wire.connect(MqttVersion.MQTT_5, id, false, 60,
                    session));
            assertTrue(back.sessionPresent());
            // Nothing observable marks a cancelled timer: wait out the delay with a margin.
            long left = Duration.ofMillis(3000).toNanos() - (System.nanoTime() - killed);
            w.expectNothing(Duration.ofNanos(Math.max(left, 0)));
            back.client().disconnect();
        }
    }
}
