package io.conduit.mqtt;

import io.conduit.testing.MessageListener5;

import io.conduit.config.ConduitConfig;
import io.conduit.routing.Message;
import io.conduit.routing.Router;
import io.conduit.session.SessionRegistry;
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
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.netty.handler.codec.mqtt.MqttMessageType.PUBACK;
import static io.netty.handler.codec.mqtt.MqttMessageType.PUBCOMP;
import static io.netty.handler.codec.mqtt.MqttMessageType.PUBLISH;
import static io.netty.handler.codec.mqtt.MqttMessageType.PUBREC;
import static io.netty.handler.codec.mqtt.MqttMessageType.PUBREL;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** QoS 0/1/2 flows in both directions, exactly-once, the outbound inflight window, downgrade and overlap. */
@QuarkusTest
class QosTest {

    @Inject
    MqttServer server;

    @Inject
    SessionRegistry sessions;

    @Inject
    ConduitConfig config;

    @Inject
    Router router;

    private static String tag(MqttVersion v) {
        return switch (v) {
            case MQTT_3_1 -> "31";
            case MQTT_3_1_1 -> "311";
            default -> "5";
        };
    }

    private RawMqttClient connect(MqttVersion v, String clientId) throws InterruptedException {
        return RawMqttClient.connect(server.tcpPort(), v, clientId, true, null);
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1", "MQTT_3_1_1", "MQTT_5"})
    void everyQosFlowsBothWaysOnTheWire(MqttVersion v) throws Exception {
        String topic = "qos/" + tag(v) + "/flow";
        try (RawMqttClient sub = connect(v, "qf-sub-" + tag(v)); RawMqttClient pub = connect(v, "qf-pub-" + tag(v))) {
            assertEquals(List.of(2), Wire.subscribe(sub, 1, 2, topic));

            pub.publish(topic, "q0", 0, false, 0, null);
            MqttPublishMessage p0 = sub.expect(PUBLISH);
            assertEquals(0, p0.fixedHeader().qosLevel().value());
            assertEquals("q0", RawMqttClient.payload(p0));

            pub.publish(topic, "q1", 1, false, 11, null);
            assertEquals(11, Wire.packetId(pub.expect(PUBACK)));
            MqttPublishMessage p1 = sub.expect(PUBLISH);
            assertEquals(1, p1.fixedHeader().qosLevel().value());
            assertEquals("q1", RawMqttClient.payload(p1));
            sub.ack(PUBACK, Wire.packetId(p1));

            pub.publish(topic, "q2", 2, false, 12, null);
            assertEquals(12, Wire.packetId(pub.expect(PUBREC)));
            pub.ack(PUBREL, 12);
            MqttMessage pubcomp = pub.expect(PUBCOMP);
            assertEquals(12, Wire.packetId(pubcomp));
            assertEquals(0, RawMqttClient.reasonCode(pubcomp));

            MqttPublishMessage p2 = sub.expect(PUBLISH);
            assertEquals(2, p2.fixedHeader().qosLevel().value());
            assertEquals("q2", RawMqttClient.payload(p2));
            int id = Wire.packetId(p2);
            sub.ack(PUBREC, id);
            MqttMessage pubrel = sub.expect(PUBREL);
            assertEquals(id, Wire.packetId(pubrel));
            assertEquals(1, pubrel.fixedHeader().qosLevel().value(), "PUBREL has QoS 1 in its fixed header");
            sub.ack(PUBCOMP, id);

            // The broker must have closed both outgoing exchanges, or the window would shrink for ever.
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> sessions.get("qf-sub-" + tag(v)).inflightCount() == 0);
            Wire.expectNothingPending(sub);
        }
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void qos2RetransmissionBeforePubrelIsRoutedOnce(MqttVersion v) throws Exception {
        String topic = "qos/" + tag(v) + "/once";
        try (RawMqttClient sub = connect(v, "q2once-sub-" + tag(v));
             RawMqttClient pub = connect(v, "q2once-pub-" + tag(v))) {
            Wire.subscribe(sub, 1, 0, topic);

            pub.send(Wire.publish(topic, "first", 2, false, false, 5));
            assertEquals(5, Wire.packetId(pub.expect(PUBREC)));
            // The publisher lost the PUBREC, as far as it knows, and retransmits with DUP.
            pub.send(Wire.publish(topic, "first", 2, false, true, 5));
            assertEquals(5, Wire.packetId(pub.expect(PUBREC)));
            pub.send(Wire.publish(topic, "first", 2, false, true, 5));
            assertEquals(5, Wire.packetId(pub.expect(PUBREC)));
            pub.ack(PUBREL, 5);
            MqttMessage comp = pub.expect(PUBCOMP);
            assertEquals(5, Wire.packetId(comp));
            assertEquals(0, RawMqttClient.reasonCode(comp));

            // After PUBCOMP the id is free again: the same id now carries a new message that must be routed.
            pub.send(Wire.publish(topic, "second", 2, false, false, 5));
            pub.expect(PUBREC);
            pub.ack(PUBREL, 5);
            pub.expect(PUBCOMP);

            List<MqttPublishMessage> got = Wire.publishesUntilPingResp(sub);
            assertEquals(List.of("first", "second"), got.stream().map(RawMqttClient::payload).toList());
        }
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void unknownPubrelIsAnsweredWithPubcomp(MqttVersion v) throws Exception {
        try (RawMqttClient c = connect(v, "q-unknown-rel-" + tag(v))) {
            c.ack(PUBREL, 999);
            MqttMessage comp = c.expect(PUBCOMP);
            assertEquals(999, Wire.packetId(comp));
            // 5.0: Packet Identifier not found; 3.1.1 has no reason code.
            assertEquals(v == MqttVersion.MQTT_5 ? 0x92 : 0, RawMqttClient.reasonCode(comp));
            assertTrue(c.isOpen());
        }
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void outboundInflightWindowHoldsBackMessagesUntilAcknowledged(MqttVersion v) throws Exception {
        int window = config.mqtt().limits().maxInflight();
        String topic = "qos/" + tag(v) + "/window";
        try (RawMqttClient sub = connect(v, "qwin-sub-" + tag(v)); RawMqttClient pub = connect(v, "qwin-pub-" + tag(v))) {
            Wire.subscribe(sub, 1, 1, topic);
            int total = window + 5;
            for (int i = 0; i < total; i++) {
                Wire.publishRouted(pub, topic, "m" + i, i + 1, false);
            }

            // Every message has been routed; a subscriber that acks nothing gets exactly the window.
            List<MqttPublishMessage> first = Wire.publishesUntilPingResp(sub);
            assertEquals(window, first.size(), "unacknowledged QoS 1 messages sent: " + Wire.describe(first));
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < window; i++) {
                assertEquals("m" + i, RawMqttClient.payload(first.get(i)));
                ids.add(Wire.packetId(first.get(i)));
            }
            assertEquals(window, new HashSet<>(ids).size(), "packet ids in flight must be unique: " + ids);

            // One PUBACK frees one slot: exactly the next message follows, with an id no other in-flight one has.
            sub.ack(PUBACK, ids.get(0));
            List<MqttPublishMessage> next = Wire.publishesUntilPingResp(sub);
            assertEquals(1, next.size(), Wire.describe(next));
            assertEquals("m" + window, RawMqttClient.payload(next.get(0)));
            int nextId = Wire.packetId(next.get(0));
            assertFalse(ids.subList(1, window).contains(nextId), "id " + nextId + " is still in flight: " + ids);

            Set<Integer> inflight = new HashSet<>(ids.subList(1, window));
            inflight.add(nextId);
            for (int id : inflight) {
                sub.ack(PUBACK, id);
            }
            List<MqttPublishMessage> rest = new ArrayList<>();
            while (rest.size() < 4) {
                MqttPublishMessage p = sub.expect(PUBLISH);
                rest.add(p);
                sub.ack(PUBACK, Wire.packetId(p));
            }
            for (int i = 0; i < 4; i++) {
                assertEquals("m" + (window + 1 + i), RawMqttClient.payload(rest.get(i)));
            }
            Wire.expectNothingPending(sub);
        }
    }

    @Test
    void v5ReceiveMaximumOfTheClientNarrowsTheWindow() throws Exception {
        String topic = "qos/5/rm";
        MqttProperties rm = Wire.props(MqttProperties.MqttPropertyType.RECEIVE_MAXIMUM, 3);
        try (RawMqttClient sub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, "qrm-sub", true, rm);
             RawMqttClient pub = connect(MqttVersion.MQTT_5, "qrm-pub")) {
            Wire.subscribe(sub, 1, 2, topic);
            for (int i = 0; i < 5; i++) {
                Wire.publishRouted(pub, topic, "r" + i, i + 1, false);
            }
            assertEquals(3, Wire.publishesUntilPingResp(sub).size());
        }
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void deliveryIsDowngradedToTheGrantedQosAndNeverUpgraded(MqttVersion v) throws Exception {
        String t = "qos/" + tag(v) + "/grant/";
        try (RawMqttClient sub = connect(v, "qgrant-sub-" + tag(v)); RawMqttClient pub = connect(v, "qgrant-pub-" + tag(v))) {
            assertEquals(List.of(0), Wire.subscribe(sub, 1, 0, t + "s0"));
            assertEquals(List.of(1), Wire.subscribe(sub, 2, 1, t + "s1"));
            assertEquals(List.of(2), Wire.subscribe(sub, 3, 2, t + "s2"));
            for (String s : List.of("s0", "s1")) {
                pub.publish(t + s, "hi", 2, false, 20, null);
                pub.expect(PUBREC);
                pub.ack(PUBREL, 20);
                pub.expect(PUBCOMP);
            }
            Wire.publishRouted(pub, t + "s2", "hi", 21, false);

            List<MqttPublishMessage> got = Wire.publishesUntilPingResp(sub);
            assertEquals(3, got.size(), Wire.describe(got));
            assertEquals(0, got.get(0).fixedHeader().qosLevel().value(), "QoS 2 message, QoS 0 subscription");
            assertEquals(1, got.get(1).fixedHeader().qosLevel().value(), "QoS 2 message, QoS 1 subscription");
            assertEquals(1, got.get(2).fixedHeader().qosLevel().value(), "QoS 1 message, QoS 2 subscription");
        }
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void overlappingSubscriptionsOfOneClientGetOneCopyAtTheHighestQos(MqttVersion v) throws Exception {
        String t = "qos/" + tag(v) + "/ov";
        try (RawMqttClient sub = connect(v, "qov-sub-" + tag(v)); RawMqttClient pub = connect(v, "qov-pub-" + tag(v))) {
            assertEquals(List.of(0), Wire.subscribe(sub, 1, 0, t + "/+"));
            assertEquals(List.of(2), Wire.subscribe(sub, 2, 2, t + "/#"));
            pub.publish(t + "/x", "one", 2, false, 30, null);
            pub.expect(PUBREC);
            pub.ack(PUBREL, 30);
            pub.expect(PUBCOMP);

            List<MqttPublishMessage> got = Wire.publishesUntilPingResp(sub);
            assertEquals(1, got.size(), "one copy per client: " + Wire.describe(got));
            assertEquals(2, got.get(0).fixedHeader().qosLevel().value());
        }
    }

    @Test
    void messageRoutedWhileTheSubscriberConnectionIsBusyIsFlushedWithoutFurtherTraffic() throws Exception {
        // Thousands of retained messages keep the subscriber's event loop writing while another loop routes to it;
        // a flush scheduled among those writes once left the routed message unsent until the client spoke again.
        int retained = 2000;
        for (int i = 0; i < retained; i++) {
            router.publish(Message.of("qos/busy/ret/" + i, "r" + i, 0, true));
        }
        try (RawMqttClient sub = connect(MqttVersion.MQTT_3_1_1, "qbusy-sub");
             RawMqttClient pub = connect(MqttVersion.MQTT_3_1_1, "qbusy-pub")) {
            Wire.subscribe(sub, 1, 1, "qos/busy/live");
            for (int round = 0; round < 3; round++) {
                Wire.ping(sub);
                sub.send(MqttMessageBuilders.subscribe().messageId(2)
                        .addSubscription(MqttQoS.AT_MOST_ONCE, "qos/busy/ret/#").build());
                pub.publish("qos/busy/live", "live" + round, 1, false, round + 1, null);
                pub.expect(PUBACK);
                boolean live = false;
                boolean pingresp = false;
                boolean suback = false;
                while (!(live && pingresp && suback)) {
                    MqttMessage m = sub.poll(Duration.ofSeconds(5));
                    if (m == null) {
                        throw new AssertionError("round " + round + ": live=" + live + " PINGRESP=" + pingresp
                                + " SUBACK=" + suback + " after 5 s of silence");
                    }
                    MqttMessageType type = m.fixedHeader().messageType();
                    pingresp |= type == MqttMessageType.PINGRESP;
                    suback |= type == MqttMessageType.SUBACK;
                    if (m instanceof MqttPublishMessage p && Wire.topic(p).equals("qos/busy/live")) {
                        live = true;
                        sub.ack(PUBACK, Wire.packetId(p));
                    }
                }
                Wire.untilPingResp(sub);
            }
        } finally {
            for (int i = 0; i < retained; i++) {
                router.publish(Message.of("qos/busy/ret/" + i, new byte[0], 0, true));
            }
        }
    }

    @Test
    void pahoV5RoundTripAtEveryQos() throws Exception {
        String uri = "tcp://127.0.0.1:" + server.tcpPort();
        MqttClient sub = new MqttClient(uri, "qpaho5-sub", new MemoryPersistence());
        MqttClient pub = new MqttClient(uri, "qpaho5-pub", new MemoryPersistence());
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        sub.setCallback((MessageListener5) (topic, m) -> got.add(topic + "=" + new String(m.getPayload(),
                StandardCharsets.UTF_8) + "@" + m.getQos()));
        MqttConnectionOptions options = new MqttConnectionOptions();
        options.setCleanStart(true);
        sub.connect(options);
        pub.connect(options);
        try {
            sub.subscribe("qos/paho5/+", 2);
            for (int qos = 0; qos <= 2; qos++) {
                pub.publish("qos/paho5/d" + qos, ("v" + qos).getBytes(StandardCharsets.UTF_8), qos, false);
                assertEquals("qos/paho5/d" + qos + "=v" + qos + "@" + qos, got.poll(5, TimeUnit.SECONDS));
            }
        } finally {
            pub.disconnect();
            sub.disconnect();
            pub.close();
            sub.close();
        }
    }
}
