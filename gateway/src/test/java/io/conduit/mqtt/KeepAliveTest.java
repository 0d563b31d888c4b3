package io.conduit.mqtt;

import io.conduit.config.ConduitConfig;
import io.conduit.testing.RawMqttClient;
import io.conduit.testing.Wire;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PINGREQ, the keep-alive timeout, and the timeout for sockets that never send CONNECT. */
@QuarkusTest
class KeepAliveTest {

    @Inject
    MqttServer server;

    @Inject
    ConduitConfig config;

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1", "MQTT_3_1_1", "MQTT_5"})
    void pingreqGetsPingresp(MqttVersion v) throws Exception {
        try (RawMqttClient c = RawMqttClient.connect(server.tcpPort(), v, "ka-ping-" + v.protocolLevel(), true,
                null)) {
            for (int i = 0; i < 3; i++) {
                Wire.ping(c);
                c.expect(MqttMessageType.PINGRESP);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void silentClientIsClosedAfterOneAndAHalfKeepAlivesWhileAPingingOneStays(MqttVersion v) throws Exception {
        String tag = v == MqttVersion.MQTT_5 ? "5" : "311";
        Wire.Connected silent = Wire.open(server.tcpPort(), Wire.connect(v, "ka-silent-" + tag, true, 1, null));
        Wire.Connected alive = Wire.open(server.tcpPort(), Wire.connect(v, "ka-alive-" + tag, true, 1, null));
        long start = System.nanoTime();
        long silentClosedMillis = -1;
        try (RawMqttClient s = silent.client(); RawMqttClient a = alive.client()) {
            // The pinging client keeps its connection for 2.5 s, well past the time after which silence is cut off.
            while (System.nanoTime() - start < Duration.ofMillis(2500).toNanos()) {
                Wire.ping(a);
                MqttMessage resp = a.poll(Duration.ofSeconds(1));
                assertTrue(resp != null && resp.fixedHeader().messageType() == MqttMessageType.PINGRESP,
                        "the pinging client was cut off: " + resp);
                if (silentClosedMillis < 0 && !s.isOpen()) {
                    silentClosedMillis = (System.nanoTime() - start) / 1_000_000;
                }
                Thread.sleep(250); // pacing the pings, well inside the 1 s keep alive
            }
            assertTrue(a.isOpen());

            assertTrue(silentClosedMillis >= 0, "the silent client is still connected after 2.5 s");
            assertTrue(silentClosedMillis >= 1200, "silent client closed after " + silentClosedMillis + " ms");
            if (v == MqttVersion.MQTT_5) {
                MqttMessage d = s.expect(MqttMessageType.DISCONNECT);
                assertEquals(0x8D, RawMqttClient.reasonCode(d), "Keep Alive timeout");
            }
        }
    }

    @Test
    void socketThatNeverSendsConnectIsClosedAfterTheConnectTimeout() throws Exception {
        Duration timeout = config.mqtt().connectTimeout();
        RawMqttClient c = RawMqttClient.open(server.tcpPort());
        long start = System.nanoTime();
        try {
            assertTrue(c.awaitClosed(timeout.plusSeconds(3)), "still open after " + timeout.plusSeconds(3));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis >= timeout.toMillis() - 500, "closed after " + millis + " ms, before the timeout");
            assertNull(c.poll(Duration.ZERO), "no packet for a client that never connected");
        } finally {
            c.close();
        }
    }
}
