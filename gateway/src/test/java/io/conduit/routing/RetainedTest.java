package io.conduit.routing;

import io.conduit.mqtt.MqttServer;
import io.conduit.testing.RawMqttClient;
import io.conduit.testing.Wire;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubscriptionOption;
import io.netty.handler.codec.mqtt.MqttSubscriptionOption.RetainedHandlingPolicy;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Retained messages: storage, delivery on subscribe, clearing, wildcards, and the 5.0 subscription options. */
@QuarkusTest
class RetainedTest {

    @Inject
    MqttServer server;

    @Inject
    RetainedStore store;

    private final List<String> retainedTopics = new ArrayList<>();

    // Every test class shares the broker: leave no retained message for "#" subscribers elsewhere.
    @AfterEach
    void clearRetained() {
        retainedTopics.forEach(t -> store.put(Message.of(t, new byte[0], 0, true)));
    }

    private static String tag(MqttVersion v) {
        return v == MqttVersion.MQTT_5 ? "5" : "311";
    }

    private RawMqttClient connect(MqttVersion v, String clientId) throws InterruptedException {
        return RawMqttClient.connect(server.tcpPort(), v, clientId, true, null);
    }

    private void retain(RawMqttClient pub, String topic, String payload, int packetId) {
        retainedTopics.add(topic);
        Wire.publishRouted(pub, topic, payload, packetId, true);
    }

    /** Topic to payload of what arrived, checking every message has the expected RETAIN flag. */
    private static Map<String, String> received(List<MqttPublishMessage> got, boolean retainFlag) {
        Map<String, String> out = new TreeMap<>();
        for (MqttPublishMessage m : got) {
            assertEquals(retainFlag, m.fixedHeader().isRetain(), "RETAIN flag of " + Wire.topic(m));
            out.put(Wire.topic(m), RawMqttClient.payload(m));
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void retainedMessageIsStoredAndSentOnSubscribeWithRetainSet(MqttVersion v) throws Exception {
        String t = "ret/" + tag(v) + "/stored";
        try (RawMqttClient pub = connect(v, "ret-pub-" + tag(v))) {
            retain(pub, t, "v1", 1);
            retain(pub, t, "v2", 2);
        }
        // The publisher is gone: the message lives in the broker, not in a session.
        try (RawMqttClient sub = connect(v, "ret-sub-" + tag(v)); RawMqttClient low = connect(v, "ret-low-" + tag(v))) {
            Wire.subscribe(sub, 1, 2, t);
            List<MqttPublishMessage> got = Wire.publishesUntilPingResp(sub);
            assertEquals(Map.of(t, "v2"), received(got, true), "only the latest retained message");
            assertEquals(1, got.get(0).fixedHeader().qosLevel().value(), "sent at the QoS it was published with");

            Wire.subscribe(low, 1, 0, t);
            List<MqttPublishMessage> lowGot = Wire.publishesUntilPingResp(low);
            assertEquals(Map.of(t, "v2"), received(lowGot, true));
            assertEquals(0, lowGot.get(0).fixedHeader().qosLevel().value(), "capped at the subscription's QoS");
        }
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void retainFlagIsClearedWhenForwardingToExistingSubscribers(MqttVersion v) throws Exception {
        String t = "ret/" + tag(v) + "/fwd";
        try (RawMqttClient sub = connect(v, "ret-fwd-" + tag(v)); RawMqttClient pub = connect(v, "ret-fwdp-" + tag(v))) {
            Wire.subscribe(sub, 1, 1, t);
            retain(pub, t, "live", 1);
            MqttPublishMessage m = sub.expect(MqttMessageType.PUBLISH);
            assertEquals("live", RawMqttClient.payload(m));
            assertFalse(m.fixedHeader().isRetain(), "a live message is not sent as retained (3.1.1 section 3.3.1.3)");
        }
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void emptyRetainedPayloadClearsTheTopic(MqttVersion v) throws Exception {
        String p = "ret/" + tag(v) + "/clear";
        try (RawMqttClient pub = connect(v, "ret-clr-" + tag(v)); RawMqttClient sub = connect(v, "ret-clrs-" + tag(v))) {
            retain(pub, p + "/gone", "x", 1);
            retain(pub, p + "/kept", "y", 2);
            retain(pub, p + "/gone", "", 3);
            Wire.subscribe(sub, 1, 1, p + "/#");
            assertEquals(Map.of(p + "/kept", "y"), received(Wire.publishesUntilPingResp(sub), true));
        }
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void wildcardSubscriptionGetsEveryMatchingRetainedMessage(MqttVersion v) throws Exception {
        String p = "ret/" + tag(v) + "/wild";
        try (RawMqttClient pub = connect(v, "ret-wild-" + tag(v));
             RawMqttClient hash = connect(v, "ret-wildh-" + tag(v));
             RawMqttClient plus = connect(v, "ret-wildp-" + tag(v))) {
            retain(pub, p + "/w", "0", 1);
            retain(pub, p + "/w/a", "1", 2);
            retain(pub, p + "/w/b/c", "2", 3);
            retain(pub, p + "/x/a", "3", 4);
            retain(pub, p + "/wz", "4", 5);

            Wire.subscribe(hash, 1, 1, p + "/w/#");
            assertEquals(Set.of(p + "/w", p + "/w/a", p + "/w/b/c"),
                    received(Wire.publishesUntilPingResp(hash), true).keySet());
            Wire.subscribe(plus, 1, 1, p + "/+/a");
            assertEquals(Set.of(p + "/w/a", p + "/x/a"), received(Wire.publishesUntilPingResp(plus), true).keySet());
        }
    }

    @Test
    void aBurstOfRetainedQos0MessagesIsDeliveredWhole() throws Exception {
        // Far more than one socket buffer: live QoS 0 to a busy socket is dropped, a requested retained burst is not.
        int count = 3000;
        String payload = "x".repeat(500);
        for (int i = 0; i < count; i++) {
            String topic = "ret/burst/" + i;
            retainedTopics.add(topic);
            store.put(Message.of(topic, payload, 0, true));
        }
        try (RawMqttClient sub = connect(MqttVersion.MQTT_3_1_1, "ret-burst")) {
            Wire.subscribe(sub, 1, 0, "ret/burst/#");
            assertEquals(count, received(Wire.publishesUntilPingResp(sub), true).size());
        }
    }

    private static MqttSubscriptionOption option(RetainedHandlingPolicy handling, boolean retainAsPublished) {
        return new MqttSubscriptionOption(MqttQoS.AT_LEAST_ONCE, false, retainAsPublished, handling);
    }

    @Test
    void v5RetainHandlingDecidesWhenRetainedMessagesAreSent() throws Exception {
        String t = "ret/5/handling";
        try (RawMqttClient pub = connect(MqttVersion.MQTT_5, "ret-rh-pub");
             RawMqttClient always = connect(MqttVersion.MQTT_5, "ret-rh0");
             RawMqttClient ifNew = connect(MqttVersion.MQTT_5, "ret-rh1");
             RawMqttClient never = connect(MqttVersion.MQTT_5, "ret-rh2")) {
            retain(pub, t, "r", 1);

            always.subscribe(1, t, option(RetainedHandlingPolicy.SEND_AT_SUBSCRIBE, false), null);
            assertEquals(1, Wire.publishesUntilPingResp(always).size());
            always.subscribe(2, t, option(RetainedHandlingPolicy.SEND_AT_SUBSCRIBE, false), null);
            assertEquals(1, Wire.publishesUntilPingResp(always).size(), "0: sent on every SUBSCRIBE");

            ifNew.subscribe(1, t, option(RetainedHandlingPolicy.SEND_AT_SUBSCRIBE_IF_NOT_YET_EXISTS, false), null);
            assertEquals(1, Wire.publishesUntilPingResp(ifNew).size(), "1: sent for a new subscription");
            ifNew.subscribe(2, t, option(RetainedHandlingPolicy.SEND_AT_SUBSCRIBE_IF_NOT_YET_EXISTS, false), null);
            assertEquals(0, Wire.publishesUntilPingResp(ifNew).size(), "1: not sent when it already existed");

            never.subscribe(1, t, option(RetainedHandlingPolicy.DONT_SEND_AT_SUBSCRIBE, false), null);
            assertEquals(0, Wire.publishesUntilPingResp(never).size(), "2: never sent");
        }
    }

    @Test
    void v5RetainAsPublishedKeepsTheRetainFlagOnForwardedMessages() throws Exception {
        String t = "ret/5/rap";
        try (RawMqttClient pub = connect(MqttVersion.MQTT_5, "ret-rap-pub");
             RawMqttClient rap = connect(MqttVersion.MQTT_5, "ret-rap1");
             RawMqttClient plain = connect(MqttVersion.MQTT_5, "ret-rap0")) {
            rap.subscribe(1, t, option(RetainedHandlingPolicy.SEND_AT_SUBSCRIBE, true), null);
            plain.subscribe(1, t, option(RetainedHandlingPolicy.SEND_AT_SUBSCRIBE, false), null);
            retain(pub, t, "kept-flag", 1);
            Wire.publishRouted(pub, t, "not-retained", 2, false);

            List<MqttPublishMessage> rapGot = Wire.publishesUntilPingResp(rap);
            assertEquals(List.of(true, false), rapGot.stream().map(m -> m.fixedHeader().isRetain()).toList(),
                    "Retain As Published: the flag as the publisher set it");
            List<MqttPublishMessage> plainGot = Wire.publishesUntilPingResp(plain);
            assertEquals(List.of(false, false), plainGot.stream().map(m -> m.fixedHeader().isRetain()).toList());
        }
    }

    @Test
    void pahoClientSeesTheRetainedFlag() throws Exception {
        String t = "ret/paho/flag";
        String uri = "tcp://127.0.0.1:" + server.tcpPort();
        try (RawMqttClient pub = connect(MqttVersion.MQTT_3_1_1, "ret-paho-pub")) {
            retain(pub, t, "old", 1);
            MqttClient sub = new MqttClient(uri, "ret-paho-sub", new MemoryPersistence());
            BlockingQueue<String> got = new LinkedBlockingQueue<>();
            sub.setCallback(new MqttCallback() {
                @Override
                public void connectionLost(Throwable cause) {
                }

                @Override
                public void messageArrived(String topic, MqttMessage message) {
                    got.add(new String(message.getPayload(), StandardCharsets.UTF_8) + "/retained="
                            + message.isRetained());
                }

                @Override
                public void deliveryComplete(IMqttDeliveryToken token) {
                }
            });
            MqttConnectOptions options = new MqttConnectOptions();
            options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
            sub.connect(options);
            try {
                sub.subscribe(t, 1);
                assertEquals("old/retained=true", got.poll(5, TimeUnit.SECONDS));
                Wire.publishRouted(pub, t, "new", 2, true);
                assertEquals("new/retained=false", got.poll(5, TimeUnit.SECONDS));
                assertTrue(got.isEmpty());
            } finally {
                sub.disconnect();
                sub.close();
            }
        }
    }
}
