package io.conduit.session;

import io.conduit.testing.MessageListener5;

import io.conduit.config.ConduitConfig;
import io.conduit.metrics.BrokerMetrics;
import io.conduit.mqtt.MqttServer;
import io.conduit.sys.SysTopicsPublisher;
import io.conduit.testing.RawMqttClient;
import io.conduit.testing.Wire;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.netty.handler.codec.mqtt.MqttMessageType.PUBACK;
import static io.netty.handler.codec.mqtt.MqttMessageType.PUBCOMP;
import static io.netty.handler.codec.mqtt.MqttMessageType.PUBLISH;
import static io.netty.handler.codec.mqtt.MqttMessageType.PUBREC;
import static io.netty.handler.codec.mqtt.MqttMessageType.PUBREL;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Clean and persistent sessions, offline queueing, redelivery after reconnect, takeover and 5.0 expiry. */
@QuarkusTest
class SessionTest {

    @Inject
    MqttServer server;

    @Inject
    SessionRegistry sessions;

    @Inject
    BrokerMetrics metrics;

    @Inject
    SysTopicsPublisher sys;

    @Inject
    ConduitConfig config;

    private static String tag(MqttVersion v) {
        return v == MqttVersion.MQTT_5 ? "5" : "311";
    }

    /** A session that outlives the connection: clean session 0 on 3.1.1, clean start 0 and expiry 60 s on 5.0. */
    private Wire.Connected persistent(MqttVersion v, String clientId) throws InterruptedException {
        MqttProperties props = v == MqttVersion.MQTT_5 ? Wire.props(SESSION_EXPIRY_INTERVAL, 60) : null;
        return Wire.open(server.tcpPort(), Wire.connect(v, clientId, false, 60, props));
    }

    private RawMqttClient clean(MqttVersion v, String clientId) throws InterruptedException {
        return RawMqttClient.connect(server.tcpPort(), v, clientId, true, null);
    }

    /** Ends a session left behind, so that it does not collect messages for the rest of the run. */
    private void discard(MqttVersion v, String clientId) throws InterruptedException {
        clean(v, clientId).disconnect();
        await().atMost(Duration.ofSeconds(5)).until(() -> sessions.get(clientId) == null);
    }

    private void awaitOffline(String clientId) {
        await().atMost(Duration.ofSeconds(5)).until(() -> sessions.get(clientId) != null
                && !sessions.get(clientId).isOnline());
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void cleanSessionStartsEmptyAndKeepsNothing(MqttVersion v) throws Exception {
        String id = "sess-clean-" + tag(v);
        String topic = "sess/" + tag(v) + "/clean";
        Wire.Connected first = persistent(v, id);
        assertFalse(first.sessionPresent(), "no session existed");
        Wire.subscribe(first.client(), 1, 1, topic);
        first.client().disconnect();
        awaitOffline(id);

        try (RawMqttClient pub = clean(v, "sess-clean-p-" + tag(v))) {
            RawMqttClient second = clean(v, id);
            assertFalse(second.connAck().variableHeader().isSessionPresent(), "clean start discards the session");
            Wire.publishRouted(pub, topic, "x", 1, false);
            Wire.expectNothingPending(second);
            assertTrue(sessions.get(id).subscriptions().isEmpty(), "the old subscription went with the old session");
            second.disconnect();
            await().atMost(Duration.ofSeconds(5)).until(() -> sessions.get(id) == null);
        }
        Wire.Connected third = persistent(v, id);
        assertFalse(third.sessionPresent(), "a clean session leaves nothing behind");
        third.client().close();
        discard(v, id);
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void persistentSessionKeepsSubscriptionsAndQueuesQos1And2WhileOffline(MqttVersion v) throws Exception {
        String id = "sess-paho-" + tag(v);
        String p = "sess/" + tag(v) + "/paho";
        PahoClient sub = PahoClient.create(v, "tcp://127.0.0.1:" + server.tcpPort(), id);
        assertFalse(sub.connect(false));
        sub.subscribe(p + "/#", 2);
        sub.disconnect();
        awaitOffline(id);

        try (RawMqttClient pub = clean(v, "sess-paho-p-" + tag(v))) {
            pub.publish(p + "/q0", "q0", 0, false, 0, null);
            Wire.publishRouted(pub, p + "/q1", "q1", 1, false);
            pub.publish(p + "/q2", "q2", 2, false, 2, null);
            pub.expect(PUBREC);
            pub.ack(PUBREL, 2);
            pub.expect(PUBCOMP);
            assertEquals(2, sessions.get(id).queuedCount(), "QoS 1 and 2 queued, QoS 0 dropped");

            sub = PahoClient.create(v, "tcp://127.0.0.1:" + server.tcpPort(), id);
            assertTrue(sub.connect(false), "session present");
            assertEquals(p + "/q1=q1@1", sub.next());
            assertEquals(p + "/q2=q2@2", sub.next());
            // No resubscription: the stored subscription routes new messages too.
            pub.publish(p + "/live", "live", 0, false, 0, null);
            assertEquals(p + "/live=live@0", sub.next(), "the QoS 0 message sent while offline must not appear");
            sub.disconnect();
        }
        discard(v, id);
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void offlineQueueIsBoundedAndCountsWhatItDrops(MqttVersion v) throws Exception {
        String id = "sess-bound-" + tag(v);
        String topic = "sess/" + tag(v) + "/bound";
        int max = config.mqtt().limits().maxQueuedMessages();
        int published = max + 30;
        Wire.Connected sub = persistent(v, id);
        Wire.subscribe(sub.client(), 1, 1, topic);
        sub.client().disconnect();
        awaitOffline(id);

        long droppedBefore = metrics.messagesDropped.sum();
        try (RawMqttClient pub = clean(v, "sess-bound-p-" + tag(v))) {
            for (int i = 0; i < published; i++) {
                Wire.publishRouted(pub, topic, "m" + i, i + 1, false);
            }
        }
        assertEquals(max, sessions.get(id).queuedCount());
        long dropped = metrics.messagesDropped.sum() - droppedBefore;
        assertTrue(dropped >= published - max, "dropped counted: " + dropped);
        assertTrue(Long.parseLong(sys.figures().get("messages/dropped")) >= published - max,
                "$SYS/broker/messages/dropped counts them too");

        Wire.Connected back = persistent(v, id);
        assertTrue(back.sessionPresent());
        RawMqttClient c = back.client();
        List<String> payloads = new ArrayList<>();
        while (payloads.size() < max) {
            MqttPublishMessage m = c.expect(PUBLISH);
            payloads.add(RawMqttClient.payload(m));
            c.ack(PUBACK, Wire.packetId(m));
        }
        // Nothing was in flight when the client left, so it gets exactly the queue: the oldest messages.
        for (int i = 0; i < max; i++) {
            assertEquals("m" + i, payloads.get(i));
        }
        Wire.expectNothingPending(c);
        c.close();
        discard(v, id);
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void unacknowledgedQos1IsRedeliveredWithDupAfterReconnect(MqttVersion v) throws Exception {
        String id = "sess-dup-" + tag(v);
        String topic = "sess/" + tag(v) + "/dup";
        Wire.Connected sub = persistent(v, id);
        Wire.subscribe(sub.client(), 1, 1, topic);
        try (RawMqttClient pub = clean(v, "sess-dup-p-" + tag(v))) {
            Wire.publishRouted(pub, topic, "again", 1, false);
        }
        MqttPublishMessage first = sub.client().expect(PUBLISH);
        assertFalse(first.fixedHeader().isDup());
        sub.client().kill();
        awaitOffline(id);

        Wire.Connected back = persistent(v, id);
        assertTrue(back.sessionPresent());
        MqttPublishMessage resent = back.client().expect(PUBLISH);
        assertTrue(resent.fixedHeader().isDup(), "DUP must be set on redelivery");
        assertEquals(Wire.packetId(first), Wire.packetId(resent), "same packet id");
        assertEquals("again", RawMqttClient.payload(resent));
        assertEquals(1, resent.fixedHeader().qosLevel().value());
        back.client().ack(PUBACK, Wire.packetId(resent));
        Wire.expectNothingPending(back.client());
        back.client().kill();
        awaitOffline(id);

        Wire.Connected third = persistent(v, id);
        Wire.expectNothingPending(third.client());
        third.client().close();
        discard(v, id);
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void qos2AfterPubrecTheBrokerResendsPubrelOnReconnect(MqttVersion v) throws Exception {
        String id = "sess-rel-" + tag(v);
        String topic = "sess/" + tag(v) + "/rel";
        Wire.Connected sub = persistent(v, id);
        Wire.subscribe(sub.client(), 1, 2, topic);
        try (RawMqttClient pub = clean(v, "sess-rel-p-" + tag(v))) {
            pub.publish(topic, "two", 2, false, 1, null);
            pub.expect(PUBREC);
            pub.ack(PUBREL, 1);
            pub.expect(PUBCOMP);
        }
        MqttPublishMessage m = sub.client().expect(PUBLISH);
        int packetId = Wire.packetId(m);
        sub.client().ack(PUBREC, packetId);
        assertEquals(packetId, Wire.packetId(sub.client().expect(PUBREL)));
        sub.client().kill();
        awaitOffline(id);

        Wire.Connected back = persistent(v, id);
        assertTrue(back.sessionPresent());
        MqttMessage rel = back.client().expect(PUBREL);
        assertEquals(packetId, Wire.packetId(rel), "PUBREL again, not the PUBLISH");
        back.client().ack(PUBCOMP, packetId);
        Wire.expectNothingPending(back.client());
        assertEquals(0, sessions.get(id).inflightCount());
        back.client().close();
        discard(v, id);
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void incomingQos2RetransmittedAfterReconnectIsRoutedOnce(MqttVersion v) throws Exception {
        String id = "sess-in2-" + tag(v);
        String topic = "sess/" + tag(v) + "/in2";
        try (RawMqttClient sub = clean(v, "sess-in2-s-" + tag(v))) {
            Wire.subscribe(sub, 1, 0, topic);
            Wire.Connected pub = persistent(v, id);
            pub.client().send(Wire.publish(topic, "once", 2, false, false, 7));
            pub.client().expect(PUBREC);
            pub.client().kill();
            awaitOffline(id);

            // The publisher never saw the PUBREC, so it sends the PUBLISH again on its resumed session.
            Wire.Connected back = persistent(v, id);
            assertTrue(back.sessionPresent());
            back.client().send(Wire.publish(topic, "once", 2, false, true, 7));
            assertEquals(7, Wire.packetId(back.client().expect(PUBREC)));
            back.client().ack(PUBREL, 7);
            assertEquals(7, Wire.packetId(back.client().expect(PUBCOMP)));

            List<MqttPublishMessage> got = Wire.publishesUntilPingResp(sub);
            assertEquals(List.of("once"), got.stream().map(RawMqttClient::payload).toList());
            back.client().close();
        }
        discard(v, id);
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void secondConnectionWithTheSameClientIdTakesTheSessionOver(MqttVersion v) throws Exception {
        String id = "sess-take-" + tag(v);
        String topic = "sess/" + tag(v) + "/take";
        Wire.Connected first = persistent(v, id);
        Wire.subscribe(first.client(), 1, 1, topic);

        Wire.Connected second = persistent(v, id);
        assertTrue(second.sessionPresent());
        if (v == MqttVersion.MQTT_5) {
            MqttMessage d = first.client().expect(MqttMessageType.DISCONNECT);
            assertEquals(0x8E, RawMqttClient.reasonCode(d), "Session taken over");
        }
        assertTrue(first.client().awaitClosed(Duration.ofSeconds(5)), "the first connection is closed");

        try (RawMqttClient pub = clean(v, "sess-take-p-" + tag(v))) {
            Wire.publishRouted(pub, topic, "to-second", 1, false);
        }
        MqttPublishMessage m = second.client().expect(PUBLISH);
        assertEquals("to-second", RawMqttClient.payload(m));
        second.client().ack(PUBACK, Wire.packetId(m));
        assertTrue(second.client().isOpen());
        assertTrue(sessions.get(id).isOnline());
        second.client().close();
        discard(v, id);
    }

    @Test
    void v5SessionExpiresAfterItsInterval() throws Exception {
        String id = "sess-expiry-5";
        RawMqttClient c = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, id, true,
                Wire.props(SESSION_EXPIRY_INTERVAL, 2));
        Wire.subscribe(c, 1, 1, "sess/5/expiry");
        c.disconnect();
        awaitOffline(id);
        long start = System.nanoTime();
        await().atMost(Duration.ofSeconds(5)).until(() -> sessions.get(id) == null);
        long waitedMillis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(waitedMillis >= 1500, "expired after " + waitedMillis + " ms, before its 2 s interval");

        Wire.Connected back = Wire.open(server.tcpPort(), Wire.connect(MqttVersion.MQTT_5, id, false, 60,
                Wire.props(SESSION_EXPIRY_INTERVAL, 0)));
        assertFalse(back.sessionPresent(), "the session expired");
        assertTrue(sessions.get(id).subscriptions().isEmpty());
        back.client().disconnect();
    }

    @Test
    void v5SessionIsResumedWithinItsInterval() throws Exception {
        String id = "sess-resume-5";
        RawMqttClient c = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, id, true,
                Wire.props(SESSION_EXPIRY_INTERVAL, 30));
        c.disconnect();
        awaitOffline(id);
        Wire.Connected back = Wire.open(server.tcpPort(), Wire.connect(MqttVersion.MQTT_5, id, false, 60, null));
        assertTrue(back.sessionPresent());
        back.client().disconnect();
        await().atMost(Duration.ofSeconds(5)).until(() -> sessions.get(id) == null);
    }

    /** Paho 3.1.1 or 5.0 behind one face, recording topic=payload@qos. */
    private interface PahoClient {
        static PahoClient create(MqttVersion v, String uri, String clientId) throws Exception {
            return v == MqttVersion.MQTT_5 ? new Paho5(uri, clientId) : new Paho3(uri, clientId);
        }

        /** Connects without clean start; returns session present. */
        boolean connect(boolean cleanStart) throws Exception;

        void subscribe(String filter, int qos) throws Exception;

        void disconnect() throws Exception;

        String next() throws InterruptedException;
    }

    private static final class Paho3 implements PahoClient, org.eclipse.paho.client.mqttv3.MqttCallback {
        private final org.eclipse.paho.client.mqttv3.MqttClient client;
        private final BlockingQueue<String> got = new LinkedBlockingQueue<>();

        Paho3(String uri, String clientId) throws Exception {
            client = new org.eclipse.paho.client.mqttv3.MqttClient(uri, clientId,
                    new org.eclipse.paho.client.mqttv3.persist.MemoryPersistence());
            client.setCallback(this);
        }

        @Override
        public boolean connect(boolean cleanStart) throws Exception {
            MqttConnectOptions o = new MqttConnectOptions();
            o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
            o.setCleanSession(cleanStart);
            return client.connectWithResult(o).getSessionPresent();
        }

        @Override
        public void subscribe(String filter, int qos) throws Exception {
            client.subscribe(filter, qos);
        }

        @Override
        public void disconnect() throws Exception {
            client.disconnect();
            client.close();
        }

        @Override
        public String next() throws InterruptedException {
            String s = got.poll(5, TimeUnit.SECONDS);
            assertNotNull(s, "no message within 5 s");
            return s;
        }

        @Override
        public void connectionLost(Throwable cause) {
        }

        @Override
        public void messageArrived(String topic, org.eclipse.paho.client.mqttv3.MqttMessage m) {
            got.add(topic + "=" + new String(m.getPayload(), StandardCharsets.UTF_8) + "@" + m.getQos());
        }

        @Override
        public void deliveryComplete(IMqttDeliveryToken token) {
        }
    }

    private static final class Paho5 implements PahoClient, MessageListener5 {
        private final org.eclipse.paho.mqttv5.client.MqttClient client;
        private final BlockingQueue<String> got = new LinkedBlockingQueue<>();

        Paho5(String uri, String clientId) throws Exception {
            client = new org.eclipse.paho.mqttv5.client.MqttClient(uri, clientId,
                    new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
            client.setCallback(this);
        }

        @Override
        public boolean connect(boolean cleanStart) throws Exception {
            MqttConnectionOptions o = new MqttConnectionOptions();
            o.setCleanStart(cleanStart);
            o.setSessionExpiryInterval(60L);
            return client.connectWithResult(o).getSessionPresent();
        }

        @Override
        public void subscribe(String filter, int qos) throws Exception {
            client.subscribe(filter, qos);
        }

        @Override
        public void disconnect() throws Exception {
            client.disconnect();
            client.close();
        }

        @Override
        public String next() throws InterruptedException {
            String s = got.poll(5, TimeUnit.SECONDS);
            assertNotNull(s, "no message within 5 s");
            return s;
        }

        @Override
        public void messageArrived(String topic, org.eclipse.paho.mqttv5.common.MqttMessage m) {
            got.add(topic + "=" + new String(m.getPayload(), StandardCharsets.UTF_8) + "@" + m.getQos());
        }





    }
}
