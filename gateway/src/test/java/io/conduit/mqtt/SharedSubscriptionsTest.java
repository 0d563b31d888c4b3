package io.conduit.mqtt;

import io.conduit.testing.PahoInbox;
import io.conduit.testing.RawMqttClient;
import io.conduit.testing.V5Packets;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttSubscriptionOption;
import io.netty.handler.codec.mqtt.MqttUnsubAckMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MQTT 5.0 section 4.8.2: shared subscriptions ({@code $share/group/filter}). */
@QuarkusTest
class SharedSubscriptionsTest {

    private static final Duration QUIET = Duration.ofMillis(400);

    @Inject
    MqttServer server;

    @Test
    void membersOfOneGroupSplitTheMessages() throws Exception {
        try (PahoInbox a = PahoInbox.connect(server.tcpPort(), "shared-split-a");
             PahoInbox b = PahoInbox.connect(server.tcpPort(), "shared-split-b");
             RawMqttClient pub = raw("shared-split-pub")) {
            a.client().subscribe("$share/split/shared/split/t", 1);
            b.client().subscribe("$share/split/shared/split/t", 1);

            List<String> sent = publishTen(pub, "shared/split/t");

            await().atMost(Duration.ofSeconds(5))
                    .until(() -> a.received().size() + b.received().size() >= sent.size());
            // Give a duplicate the chance to arrive before counting.
            Thread.sleep(QUIET.toMillis());
            List<String> fromA = a.received().stream().map(PahoInbox.Received::payload).toList();
            List<String> fromB = b.received().stream().map(PahoInbox.Received::payload).toList();
            assertFalse(fromA.isEmpty(), "member a got none of " + sent);
            assertFalse(fromB.isEmpty(), "member b got none of " + sent);
            List<String> all = new ArrayList<>(fromA);
            all.addAll(fromB);
            assertEquals(sent.size(), all.size(), "each message exactly once: a=" + fromA + " b=" + fromB);
            assertEquals(Set.copyOf(sent), new HashSet<>(all));
            a.received().forEach(r -> assertEquals("shared/split/t", r.topic()));
        }
    }

    @Test
    void everyGroupAndEveryPlainSubscriberGetsEveryMessage() throws Exception {
        try (RawMqttClient a1 = raw("shared-groups-a1");
             RawMqttClient a2 = raw("shared-groups-a2");
             RawMqttClient b = raw("shared-groups-b");
             RawMqttClient plain = raw("shared-groups-plain");
             RawMqttClient pub = raw("shared-groups-pub")) {
            a1.subscribe(1, "$share/ga/shared/groups/+", 1);
            a2.subscribe(1, "$share/ga/shared/groups/+", 1);
            b.subscribe(1, "$share/gb/shared/groups/+", 1);
            plain.subscribe(1, "shared/groups/+", 1);

            List<String> sent = publishTen(pub, "shared/groups/t");

            List<String> fromA1 = drain(a1);
            List<String> fromA2 = drain(a2);
            assertFalse(fromA1.isEmpty());
            assertFalse(fromA2.isEmpty());
            List<String> groupA = new ArrayList<>(fromA1);
            groupA.addAll(fromA2);
            groupA.sort(null);
            assertEquals(sent, groupA, "group ga: every message once, split between members");
            assertEquals(sent, drain(b), "group gb: every message");
            assertEquals(sent, drain(plain), "non-shared subscriber: every message");
        }
    }

    @Test
    void mqtt311ClientCanJoinAShareGroup() throws Exception {
        List<String> v3Received = new CopyOnWriteArrayList<>();
        MqttClient v3 = new MqttClient("tcp://127.0.0.1:" + server.tcpPort(), "shared-v311", new MemoryPersistence());
        v3.setCallback(new MqttCallback() {
            @Override
            public void connectionLost(Throwable cause) {
            }

            @Override
            public void messageArrived(String topic, org.eclipse.paho.client.mqttv3.MqttMessage message) {
                v3Received.add(new String(message.getPayload(), StandardCharsets.UTF_8));
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {
            }
        });
        MqttConnectOptions options = new MqttConnectOptions();
        options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        v3.connect(options);
        try (RawMqttClient v5 = raw("shared-v311-peer"); RawMqttClient pub = raw("shared-v311-pub")) {
            v3.subscribe("$share/mixed/shared/v311/t", 1);
            v5.subscribe(1, "$share/mixed/shared/v311/t", 1);

            List<String> sent = publishTen(pub, "shared/v311/t");

            List<String> fromV5 = drain(v5);
            await().atMost(Duration.ofSeconds(5)).until(() -> v3Received.size() + fromV5.size() >= sent.size());
            assertFalse(v3Received.isEmpty(), "the 3.1.1 member got nothing");
            assertFalse(fromV5.isEmpty(), "the 5.0 member got nothing");
            List<String> all = new ArrayList<>(v3Received);
            all.addAll(fromV5);
            all.sort(null);
            assertEquals(sent, all);
        } finally {
            v3.disconnect();
            v3.close();
        }
    }

    @Test
    void unsubscribedMemberLeavesTheGroup() throws Exception {
        try (RawMqttClient stays = raw("shared-leave-stays");
             RawMqttClient leaves = raw("shared-leave-leaves");
             RawMqttClient pub = raw("shared-leave-pub")) {
            stays.subscribe(1, "$share/leave/shared/leave/t", 1);
            leaves.subscribe(1, "$share/leave/shared/leave/t", 1);
            leaves.send(MqttMessageBuilders.unsubscribe().messageId(2)
                    .addTopicFilter("$share/leave/shared/leave/t").build());
            MqttUnsubAckMessage ack = leaves.expect(MqttMessageType.UNSUBACK);
            assertEquals(List.of((short) 0x00), ack.payload().unsubscribeReasonCodes());

            List<String> sent = publishTen(pub, "shared/leave/t");

            assertEquals(sent, drain(stays));
            assertEquals(List.of(), drain(leaves));
        }
    }

    @Test
    void malformedShareNamesAreInvalidFilters() throws Exception {
        try (RawMqttClient c = raw("shared-invalid")) {
            for (String filter : List.of("$share//shared/invalid", "$share/g", "$share/g/", "$share/g+/t")) {
                MqttSubAckMessage ack = c.subscribe(1, filter, 1);
                assertEquals(List.of(0x8F), ack.payload().reasonCodes(), filter);
            }
            assertTrue(c.isOpen());
        }
    }

    @Test
    void noLocalOnASharedSubscriptionIsAProtocolError() throws Exception {
        try (RawMqttClient c = raw("shared-nolocal")) {
            MqttSubscriptionOption noLocal = new MqttSubscriptionOption(MqttQoS.AT_LEAST_ONCE, true, false,
                    MqttSubscriptionOption.RetainedHandlingPolicy.SEND_AT_SUBSCRIBE);
            c.send(MqttMessageBuilders.subscribe().messageId(1)
                    .addSubscription("$share/nl/shared/nolocal", noLocal).build());
            V5Packets.expectDisconnect(c, 0x82);
        }
    }

    @Test
    void retainedMessagesAreNotSentToANewSharedSubscription() throws Exception {
        try (RawMqttClient pub = raw("shared-retained-pub"); RawMqttClient sub = raw("shared-retained-sub")) {
            pub.publish("shared/retained/t", "kept", 1, true, 1, null);
            pub.expect(MqttMessageType.PUBACK);

            sub.subscribe(1, "$share/rg/shared/retained/t", 1);
            sub.expectNothing(QUIET);
            // The same filter without $share proves the retained message is there to be sent.
            sub.subscribe(2, "shared/retained/t", 1);
            MqttPublishMessage retained = sub.expect(MqttMessageType.PUBLISH);
            assertEquals("kept", RawMqttClient.payload(retained));
            assertTrue(retained.fixedHeader().isRetain());

            pub.publish("shared/retained/t", "", 1, true, 2, null);
            pub.expect(MqttMessageType.PUBACK);
        }
    }

    private RawMqttClient raw(String clientId) throws InterruptedException {
        return RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, clientId, true, null);
    }

    /** Publishes m0..m9 at QoS 1 and waits for every PUBACK, so that all ten have been routed on return. */
    private static List<String> publishTen(RawMqttClient pub, String topic) {
        List<String> sent = IntStream.range(0, 10).mapToObj(i -> "m" + i).toList();
        for (int i = 0; i < sent.size(); i++) {
            pub.publish(topic, sent.get(i), 1, false, i + 1, null);
            pub.expect(MqttMessageType.PUBACK);
        }
        return sent;
    }

    /** Payloads received until the connection has been quiet for a while, acknowledging each QoS 1 PUBLISH. */
    private static List<String> drain(RawMqttClient c) {
        List<String> payloads = new ArrayList<>();
        MqttMessage m;
        while ((m = c.poll(QUIET)) != null) {
            MqttPublishMessage p = (MqttPublishMessage) m;
            payloads.add(RawMqttClient.payload(p));
            if (p.fixedHeader().qosLevel() == MqttQoS.AT_LEAST_ONCE) {
                c.ack(MqttMessageType.PUBACK, p.variableHeader().packetId());
            }
        }
        return payloads;
    }
}
