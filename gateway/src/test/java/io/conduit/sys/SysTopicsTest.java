package io.conduit.sys;

import io.conduit.mqtt.MqttServer;
import io.conduit.testing.RawMqttClient;
import io.conduit.testing.Wire;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The $SYS/broker/... figures: present as retained messages, and refreshed every interval with live values. */
@QuarkusTest
class SysTopicsTest {

    private static final String PREFIX = "$SYS/broker/";
    private static final List<String> REQUIRED = List.of("version", "uptime", "clients/connected",
            "clients/total", "messages/received", "messages/sent", "messages/dropped", "bytes/received",
            "bytes/sent", "subscriptions/count", "retained messages/count");

    @Inject
    MqttServer server;

    private static Map<String, String> byTopic(List<MqttPublishMessage> got) {
        Map<String, String> out = new HashMap<>();
        for (MqttPublishMessage m : got) {
            out.put(Wire.topic(m).substring(PREFIX.length()), RawMqttClient.payload(m));
        }
        return out;
    }

    private static long number(Map<String, String> figures, String key) {
        String value = figures.get(key);
        assertTrue(value != null && value.matches("\\d+( seconds)?"), key + " = " + value);
        return Long.parseLong(value.split(" ")[0]);
    }

    @Test
    void everyFigureIsRetainedUnderSysBroker() throws Exception {
        try (RawMqttClient c = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_3_1_1, "sys-all", true,
                null)) {
            Wire.subscribe(c, 1, 0, "$SYS/broker/#");
            List<MqttPublishMessage> retained = Wire.publishesUntilPingResp(c);
            assertTrue(retained.stream().allMatch(m -> m.fixedHeader().isRetain()));
            Map<String, String> figures = byTopic(retained);
            assertTrue(figures.keySet().containsAll(REQUIRED), "missing: " + REQUIRED.stream()
                    .filter(k -> !figures.containsKey(k)).toList());
            assertTrue(figures.get("version").startsWith("Conduit "), figures.get("version"));
            assertTrue(figures.get("uptime").endsWith(" seconds"), figures.get("uptime"));
            for (String key : REQUIRED.subList(1, REQUIRED.size())) {
                number(figures, key);
            }
        }
    }

    @Test
    void figuresFollowTheTraffic() throws Exception {
        try (RawMqttClient c = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, "sys-live", true, null);
             RawMqttClient pub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_3_1_1, "sys-pub", true,
                     null)) {
            Wire.subscribe(c, 1, 0, "$SYS/broker/#");
            Wire.subscribe(pub, 1, 0, "sys/traffic/mine");
            Map<String, String> before = byTopic(Wire.publishesUntilPingResp(c));
            for (int i = 0; i < 5; i++) {
                Wire.publishRouted(pub, "sys/traffic/" + i, "x", i + 1, false);
            }
            long received = number(before, "messages/received");
            long bytesSent = number(before, "bytes/sent");
            long bytesReceived = number(before, "bytes/received");
            long uptime = number(before, "uptime");
            // A later periodic round reflects the five messages and both connected clients.
            Map<String, String> after = awaitLive(c, f -> value(f, "messages/received") >= received + 5
                    && value(f, "bytes/sent") > bytesSent && value(f, "bytes/received") > bytesReceived
                    && value(f, "clients/connected") >= 2 && value(f, "subscriptions/count") >= 2
                    && value(f, "uptime") >= uptime && value(f, "retained messages/count") >= 1);
            assertEquals("Conduit", before.get("version").split(" ")[0]);
            assertTrue(number(after, "messages/sent") >= number(before, "messages/sent"));
        }
    }

    private static long value(Map<String, String> figures, String key) {
        String v = figures.get(key);
        return v == null ? -1 : Long.parseLong(v.split(" ")[0]);
    }

    /** Reads live (not retained) $SYS messages until the latest figures satisfy the condition, for up to 5 s. */
    private static Map<String, String> awaitLive(RawMqttClient c, Predicate<Map<String, String>> condition) {
        Map<String, String> latest = new HashMap<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!condition.test(latest)) {
            MqttMessage m = c.poll(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (m == null) {
                throw new AssertionError("$SYS figures did not follow the traffic within 5 s: " + latest);
            }
            if (m instanceof MqttPublishMessage p && !p.fixedHeader().isRetain()) {
                latest.put(Wire.topic(p).substring(PREFIX.length()), RawMqttClient.payload(p));
            }
        }
        return latest;
    }
}
