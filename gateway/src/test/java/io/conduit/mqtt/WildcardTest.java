package io.conduit.mqtt;

import io.conduit.testing.RawMqttClient;
import io.conduit.testing.Wire;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttUnsubAckMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Wildcard routing through the broker, $-topics, invalid filters and topic names, and unsubscribe. */
@QuarkusTest
class WildcardTest {

    @Inject
    MqttServer server;

    private static String tag(MqttVersion v) {
        return v == MqttVersion.MQTT_5 ? "5" : "311";
    }

    private RawMqttClient connect(MqttVersion v, String clientId) throws InterruptedException {
        return RawMqttClient.connect(server.tcpPort(), v, clientId, true, null);
    }

    private static Set<String> topics(List<MqttPublishMessage> got) {
        return got.stream().map(Wire::topic).collect(Collectors.toCollection(TreeSet::new));
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void plusAndHashRouteToExactlyTheMatchingSubscribers(MqttVersion v) throws Exception {
        String p = "wc/" + tag(v);
        try (RawMqttClient plus = connect(v, "wc-plus-" + tag(v));
             RawMqttClient hash = connect(v, "wc-hash-" + tag(v));
             RawMqttClient exact = connect(v, "wc-exact-" + tag(v));
             RawMqttClient pub = connect(v, "wc-pub-" + tag(v))) {
            Wire.subscribe(plus, 1, 0, p + "/+/temp");
            Wire.subscribe(hash, 1, 0, p + "/a/#");
            Wire.subscribe(exact, 1, 0, p + "/a/temp");
            int id = 1;
            for (String t : List.of("/a/temp", "/b/temp", "/a", "/a/b/c", "/a/temp/x", "/b/x/temp", "/ab")) {
                Wire.publishRouted(pub, p + t, "x", id++, false);
            }
            assertEquals(Set.of(p + "/a/temp", p + "/b/temp"), topics(Wire.publishesUntilPingResp(plus)));
            assertEquals(Set.of(p + "/a", p + "/a/temp", p + "/a/b/c", p + "/a/temp/x"),
                    topics(Wire.publishesUntilPingResp(hash)), "a/# also matches a itself");
            assertEquals(Set.of(p + "/a/temp"), topics(Wire.publishesUntilPingResp(exact)));
        }
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void dollarTopicsAreOnlyMatchedByFiltersThatNameThem(MqttVersion v) throws Exception {
        String dollar = "$WcTopic" + tag(v);
        String plain = "wcplain" + tag(v);
        try (RawMqttClient all = connect(v, "wc-all-" + tag(v));
             RawMqttClient plusB = connect(v, "wc-plusb-" + tag(v));
             RawMqttClient named = connect(v, "wc-named-" + tag(v));
             RawMqttClient sys = connect(v, "wc-sys-" + tag(v));
             RawMqttClient pub = connect(v, "wc-dpub-" + tag(v))) {
            Wire.subscribe(all, 1, 0, "#");
            // Retained messages of the whole broker arrive now; the $SYS ones must not be among them.
            List<MqttPublishMessage> retained = Wire.publishesUntilPingResp(all);
            assertTrue(retained.stream().noneMatch(m -> Wire.topic(m).startsWith("$")),
                    "# got retained $-topics: " + topics(retained).stream().filter(t -> t.startsWith("$")).toList());
            Wire.subscribe(plusB, 1, 0, "+/B");
            Wire.subscribe(named, 1, 0, dollar + "/+");
            Wire.subscribe(sys, 1, 0, "$SYS/#");
            List<MqttPublishMessage> sysRetained = Wire.publishesUntilPingResp(sys);
            assertTrue(topics(sysRetained).contains("$SYS/broker/version"), "explicit $SYS/# gets $SYS");

            Wire.publishRouted(pub, dollar + "/B", "d", 1, false);
            Wire.publishRouted(pub, plain + "/B", "p", 2, false);

            List<MqttPublishMessage> allGot = Wire.publishesUntilPingResp(all);
            assertTrue(topics(allGot).contains(plain + "/B"), Wire.describe(allGot));
            assertTrue(allGot.stream().noneMatch(m -> Wire.topic(m).startsWith("$")), Wire.describe(allGot));
            assertEquals(Set.of(plain + "/B"), topics(Wire.publishesUntilPingResp(plusB)));
            assertEquals(Set.of(dollar + "/B"), topics(Wire.publishesUntilPingResp(named)));
        }
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void invalidFiltersAreRefusedWhileValidOnesInTheSameSubscribeSucceed(MqttVersion v) throws Exception {
        String p = "wc/" + tag(v) + "/inv";
        int refused = v == MqttVersion.MQTT_5 ? 0x8F : 0x80;
        try (RawMqttClient sub = connect(v, "wc-inv-" + tag(v)); RawMqttClient pub = connect(v, "wc-invp-" + tag(v))) {
            List<Integer> codes = Wire.subscribe(sub, 1, 1, p + "/ok", "a/#/b", "a+", "#a", p + "/ok2/#");
            assertEquals(List.of(1, refused, refused, refused, 1), codes);
            assertTrue(sub.isOpen());
            Wire.publishRouted(pub, p + "/ok", "1", 1, false);
            Wire.publishRouted(pub, p + "/ok2/x", "2", 2, false);
            List<MqttPublishMessage> got = Wire.publishesUntilPingResp(sub);
            assertEquals(Set.of(p + "/ok", p + "/ok2/x"), topics(got));
        }
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void publishWithAWildcardInTheTopicEndsTheConnection(MqttVersion v) throws Exception {
        String p = "wc/" + tag(v) + "/badpub";
        try (RawMqttClient watcher = connect(v, "wc-badw-" + tag(v)); RawMqttClient bad = connect(v, "wc-bad-" + tag(v))) {
            Wire.subscribe(watcher, 1, 0, p + "/#");
            bad.publish(p + "/+", "x", 1, false, 1, null);
            if (v == MqttVersion.MQTT_5) {
                MqttMessage disconnect = bad.expect(MqttMessageType.DISCONNECT);
                int reason = RawMqttClient.reasonCode(disconnect);
                assertTrue(reason == 0x81 || reason == 0x90, "Malformed Packet or Topic Name invalid, not " + reason);
            }
            assertTrue(bad.awaitClosed(Duration.ofSeconds(5)), "the broker must close the connection");
            Wire.expectNothingPending(watcher);

            // The broker carries on: the same client id connects again and publishes normally.
            try (RawMqttClient again = connect(v, "wc-bad-" + tag(v))) {
                Wire.publishRouted(again, p + "/ok", "fine", 2, false);
                assertEquals(Set.of(p + "/ok"), topics(Wire.publishesUntilPingResp(watcher)));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void unsubscribeStopsDelivery(MqttVersion v) throws Exception {
        String p = "wc/" + tag(v) + "/unsub";
        try (RawMqttClient sub = connect(v, "wc-unsub-" + tag(v)); RawMqttClient pub = connect(v, "wc-unsp-" + tag(v))) {
            Wire.subscribe(sub, 1, 0, p + "/+", p + "/keep");
            Wire.publishRouted(pub, p + "/x", "before", 1, false);
            assertEquals(Set.of(p + "/x"), topics(Wire.publishesUntilPingResp(sub)));

            MqttUnsubAckMessage ack = Wire.unsubscribe(sub, 2, p + "/+");
            assertEquals(2, Wire.packetId(ack));
            if (v == MqttVersion.MQTT_5) {
                assertEquals(List.of((short) 0), ack.payload().unsubscribeReasonCodes());
                MqttUnsubAckMessage again = Wire.unsubscribe(sub, 3, p + "/+");
                assertEquals(List.of((short) 0x11), again.payload().unsubscribeReasonCodes(),
                        "No subscription existed");
            }
            Wire.publishRouted(pub, p + "/x", "after", 2, false);
            Wire.publishRouted(pub, p + "/keep", "kept", 3, false);
            List<MqttPublishMessage> got = Wire.publishesUntilPingResp(sub);
            assertEquals(List.of("kept"), got.stream().map(RawMqttClient::payload).toList());
        }
    }

    @Test
    void wildcardSubscribersOfDifferentClientsEachGetACopy() throws Exception {
        try (RawMqttClient a = connect(MqttVersion.MQTT_3_1_1, "wc-copy-a");
             RawMqttClient b = connect(MqttVersion.MQTT_5, "wc-copy-b");
             RawMqttClient pub = connect(MqttVersion.MQTT_3_1_1, "wc-copy-p")) {
            Wire.subscribe(a, 1, 1, "wc/copy/#");
            Wire.subscribe(b, 1, 1, "wc/+/x");
            Wire.publishRouted(pub, "wc/copy/x", "both", 1, false);
            assertEquals("both", RawMqttClient.payload(a.expect(MqttMessageType.PUBLISH)));
            assertEquals("both", RawMqttClient.payload(b.expect(MqttMessageType.PUBLISH)));
        }
    }
}
