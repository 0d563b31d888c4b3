package io.conduit.mqtt;

import io.conduit.testing.PahoInbox;
import io.conduit.testing.RawMqttClient;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static io.conduit.testing.V5Packets.expectDisconnect;
import static io.conduit.testing.V5Packets.intProp;
import static io.conduit.testing.V5Packets.property;
import static io.conduit.testing.V5Packets.props;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.TOPIC_ALIAS;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.TOPIC_ALIAS_MAXIMUM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MQTT 5.0 section 3.3.2.3.4: Topic Alias, in both directions. The test profile sets topic-alias-maximum=5. */
@QuarkusTest
class TopicAliasTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @Inject
    MqttServer server;

    @Test
    void connackAdvertisesTheBrokersTopicAliasMaximum() throws Exception {
        try (RawMqttClient c = raw("alias-connack", 0)) {
            assertEquals(5, property(c.connAck(), TOPIC_ALIAS_MAXIMUM));
        }
    }

    @Test
    void aliasesFromTheClientAreResolvedAndMayBeRemapped() throws Exception {
        try (RawMqttClient sub = raw("alias-in-sub", 0); RawMqttClient pub = raw("alias-in-pub", 0)) {
            sub.subscribe(1, "alias/in/+", 0);

            pub.publish("alias/in/a", "1", 1, false, 1, props(intProp(TOPIC_ALIAS, 1)));
            assertEquals(0x00, RawMqttClient.reasonCode(pub.expect(MqttMessageType.PUBACK)));
            pub.publish("", "2", 1, false, 2, props(intProp(TOPIC_ALIAS, 1)));
            assertEquals(0x00, RawMqttClient.reasonCode(pub.expect(MqttMessageType.PUBACK)));
            pub.publish("alias/in/b", "3", 1, false, 3, props(intProp(TOPIC_ALIAS, 1)));
            pub.expect(MqttMessageType.PUBACK);
            pub.publish("", "4", 1, false, 4, props(intProp(TOPIC_ALIAS, 1)));
            pub.expect(MqttMessageType.PUBACK);

            assertReceived(sub, "alias/in/a", "1");
            assertReceived(sub, "alias/in/a", "2");
            assertReceived(sub, "alias/in/b", "3");
            assertReceived(sub, "alias/in/b", "4");
        }
    }

    @Test
    void aliasZeroOrAboveTheMaximumDisconnects() throws Exception {
        for (int alias : new int[] {0, 6}) {
            try (RawMqttClient pub = raw("alias-range-" + alias, 0)) {
                pub.publish("alias/range", "x", 0, false, 0, props(intProp(TOPIC_ALIAS, alias)));
                expectDisconnect(pub, 0x94);
            }
        }
    }

    @Test
    void unknownAliasWithEmptyTopicIsAProtocolError() throws Exception {
        try (RawMqttClient pub = raw("alias-unknown", 0)) {
            pub.publish("", "x", 0, false, 0, props(intProp(TOPIC_ALIAS, 3)));
            expectDisconnect(pub, 0x82);
        }
    }

    @Test
    void aliasesDoNotOutliveTheConnection() throws Exception {
        try (RawMqttClient first = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, "alias-reconnect", false,
                props(intProp(SESSION_EXPIRY_INTERVAL, 60)))) {
            first.publish("alias/reconnect/t", "x", 1, false, 1, props(intProp(TOPIC_ALIAS, 1)));
            first.expect(MqttMessageType.PUBACK);
            first.disconnect();
        }
        // Same client, same session, new connection: the alias mapping started over.
        try (RawMqttClient second = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, "alias-reconnect",
                false, null)) {
            assertTrue(second.connAck().variableHeader().isSessionPresent());
            second.publish("", "y", 1, false, 2, props(intProp(TOPIC_ALIAS, 1)));
            expectDisconnect(second, 0x82);
        }
    }

    @Test
    void brokerAliasesTopicsUpToTheClientsMaximum() throws Exception {
        try (RawMqttClient sub = raw("alias-out-sub", 2); RawMqttClient pub = raw("alias-out-pub", 0)) {
            sub.subscribe(1, "alias/out/+", 0);
            for (String t : new String[] {"a", "a", "b", "c", "c"}) {
                pub.publish("alias/out/" + t, t, 0, false, 0, null);
            }

            MqttPublishMessage a1 = sub.expect(MqttMessageType.PUBLISH);
            assertEquals("alias/out/a", a1.variableHeader().topicName());
            Object aliasA = property(a1, TOPIC_ALIAS);
            assertNotNull(aliasA, "the first message on a topic introduces an alias");
            MqttPublishMessage a2 = sub.expect(MqttMessageType.PUBLISH);
            assertEquals("", a2.variableHeader().topicName(), "a known alias replaces the topic");
            assertEquals(aliasA, property(a2, TOPIC_ALIAS));
            assertEquals("a", RawMqttClient.payload(a2));

            MqttPublishMessage b = sub.expect(MqttMessageType.PUBLISH);
            assertEquals("alias/out/b", b.variableHeader().topicName());
            Object aliasB = property(b, TOPIC_ALIAS);
            assertNotNull(aliasB);
            assertNotEquals(aliasA, aliasB);
            assertTrue((Integer) aliasA <= 2 && (Integer) aliasB <= 2, "aliases within the client's maximum");

            // Both aliases are taken: further topics go out in full, without an alias.
            for (int i = 0; i < 2; i++) {
                MqttPublishMessage c = sub.expect(MqttMessageType.PUBLISH);
                assertEquals("alias/out/c", c.variableHeader().topicName());
                assertNull(property(c, TOPIC_ALIAS));
            }
        }
    }

    @Test
    void noAliasesTowardsAClientWithoutTopicAliasMaximum() throws Exception {
        try (RawMqttClient sub = raw("alias-none-sub", 0); RawMqttClient pub = raw("alias-none-pub", 0)) {
            sub.subscribe(1, "alias/none/t", 0);
            pub.publish("alias/none/t", "1", 0, false, 0, null);
            pub.publish("alias/none/t", "2", 0, false, 0, null);
            for (int i = 0; i < 2; i++) {
                MqttPublishMessage p = sub.expect(MqttMessageType.PUBLISH);
                assertEquals("alias/none/t", p.variableHeader().topicName());
                assertNull(property(p, TOPIC_ALIAS));
            }
        }
    }

    @Test
    void pahoPublisherAliasesAreResolved() throws Exception {
        // Paho aliases its publishes once the CONNACK allows it. (Paho 1.2.5 cannot take aliases the other way:
        // it maps an alias to the empty topic, eclipse-paho/paho.mqtt.java#866; the raw tests above cover that.)
        try (PahoInbox sub = PahoInbox.connect(server.tcpPort(), "alias-paho-sub");
             PahoInbox pub = PahoInbox.connect(server.tcpPort(), "alias-paho-pub")) {
            sub.client().subscribe("alias/paho/+", 1);
            for (int i = 0; i < 3; i++) {
                pub.client().publish("alias/paho/t", ("p" + i).getBytes(StandardCharsets.UTF_8), 1, false);
            }
            for (int i = 0; i < 3; i++) {
                PahoInbox.Received r = sub.next(WAIT);
                assertEquals("alias/paho/t", r.topic());
                assertEquals("p" + i, r.payload());
            }
        }
    }

    private RawMqttClient raw(String clientId, int topicAliasMaximum) throws InterruptedException {
        return RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, clientId, true,
                topicAliasMaximum > 0 ? props(intProp(TOPIC_ALIAS_MAXIMUM, topicAliasMaximum)) : null);
    }

    private static void assertReceived(RawMqttClient sub, String topic, String payload) {
        MqttPublishMessage p = sub.expect(MqttMessageType.PUBLISH);
        assertEquals(topic, p.variableHeader().topicName());
        assertEquals(payload, RawMqttClient.payload(p));
    }
}
