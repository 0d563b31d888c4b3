package io.conduit.mqtt;

import io.conduit.testing.RawMqttClient;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;

import static io.conduit.testing.V5Packets.expectDisconnect;
import static io.conduit.testing.V5Packets.intProp;
import static io.conduit.testing.V5Packets.property;
import static io.conduit.testing.V5Packets.props;
import static io.conduit.testing.V5Packets.publish;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.MAXIMUM_PACKET_SIZE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MQTT 5.0 section 3.1.2.11.4 and 3.2.2.3.6: Maximum Packet Size, the broker's (65536 in the test profile) and the
 * client's.
 */
@QuarkusTest
class MaximumPacketSizeTest {

    private static final int BROKER_LIMIT = 65536;

    @Inject
    MqttServer server;

    @Test
    void connackAdvertisesTheBrokersMaximumPacketSize() throws Exception {
        try (RawMqttClient c = raw("maxpkt-connack", MqttVersion.MQTT_5, 0)) {
            assertEquals(BROKER_LIMIT, property(c.connAck(), MAXIMUM_PACKET_SIZE));
        }
    }

    @Test
    void tooLargePublishDisconnectsOnlyItsSender() throws Exception {
        try (RawMqttClient bystander = raw("maxpkt-v5-bystander", MqttVersion.MQTT_5, 0);
             RawMqttClient offender = raw("maxpkt-v5-offender", MqttVersion.MQTT_5, 0)) {
            bystander.subscribe(1, "maxpkt/v5/#", 0);

            offender.send(publish("maxpkt/v5/big", new byte[BROKER_LIMIT + 100], 0, 0, null));
            expectDisconnect(offender, 0x95);

            bystander.publish("maxpkt/v5/small", "still here", 0, false, 0, null);
            MqttPublishMessage p = bystander.expect(MqttMessageType.PUBLISH);
            assertEquals("maxpkt/v5/small", p.variableHeader().topicName(), "the oversized message was not routed");
        }
    }

    @Test
    void tooLargePublishFromAn311ClientClosesTheConnection() throws Exception {
        try (RawMqttClient bystander = raw("maxpkt-v3-bystander", MqttVersion.MQTT_3_1_1, 0);
             RawMqttClient offender = raw("maxpkt-v3-offender", MqttVersion.MQTT_3_1_1, 0)) {
            bystander.subscribe(1, "maxpkt/v3/#", 0);

            offender.send(publish("maxpkt/v3/big", new byte[BROKER_LIMIT + 100], 0, 0, null));
            assertTrue(offender.awaitClosed(Duration.ofSeconds(5)));
            // 3.1.1 has no server DISCONNECT: the socket just closes.
            assertNull(offender.poll(Duration.ZERO));

            bystander.publish("maxpkt/v3/small", "still here", 0, false, 0, null);
            assertEquals("maxpkt/v3/small",
                    ((MqttPublishMessage) bystander.expect(MqttMessageType.PUBLISH)).variableHeader().topicName());
        }
    }

    @Test
    void messagesLargerThanTheClientsMaximumAreNotSentToIt() throws Exception {
        try (RawMqttClient small = raw("maxpkt-client-small", MqttVersion.MQTT_5, 200);
             RawMqttClient large = raw("maxpkt-client-large", MqttVersion.MQTT_5, 0);
             RawMqttClient pub = raw("maxpkt-client-pub", MqttVersion.MQTT_5, 0)) {
            small.subscribe(1, "maxpkt/client/t", 1);
            large.subscribe(1, "maxpkt/client/t", 1);

            byte[] big = new byte[1000];
            Arrays.fill(big, (byte) 'b');
            pub.send(publish("maxpkt/client/t", big, 1, 1, null));
            pub.expect(MqttMessageType.PUBACK);
            pub.publish("maxpkt/client/t", "small", 1, false, 2, null);
            pub.expect(MqttMessageType.PUBACK);

            // The message is skipped, not queued: the next one is the small message.
            MqttMessage first = small.expect(MqttMessageType.PUBLISH);
            assertEquals("small", RawMqttClient.payload((MqttPublishMessage) first));
            small.expectNothing(Duration.ofMillis(300));
            // A client without a limit of its own gets both.
            assertEquals(1000, ((MqttPublishMessage) large.expect(MqttMessageType.PUBLISH)).payload().readableBytes());
            assertEquals("small", RawMqttClient.payload(large.expect(MqttMessageType.PUBLISH)));
        }
    }

    private RawMqttClient raw(String clientId, MqttVersion version, int maximumPacketSize)
            throws InterruptedException {
        return RawMqttClient.connect(server.tcpPort(), version, clientId, true,
                maximumPacketSize > 0 ? props(intProp(MAXIMUM_PACKET_SIZE, maximumPacketSize)) : null);
    }
}
