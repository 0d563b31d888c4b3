package io.conduit.mqtt;

import io.conduit.testing.RawMqttClient;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubscriptionOption;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import static io.conduit.testing.V5Packets.expectDisconnect;
import static io.conduit.testing.V5Packets.intProp;
import static io.conduit.testing.V5Packets.properties;
import static io.conduit.testing.V5Packets.props;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.SUBSCRIPTION_IDENTIFIER;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** MQTT 5.0 section 3.8.2.1.2: Subscription Identifier, returned with every message a subscription matches. */
@QuarkusTest
class SubscriptionIdentifierTest {

    private static final Duration QUIET = Duration.ofMillis(400);

    @Inject
    MqttServer server;

    @Test
    void identifierComesBackWithMatchingMessages() throws Exception {
        try (RawMqttClient sub = raw("subid-single-sub"); RawMqttClient pub = raw("subid-single-pub")) {
            subscribe(sub, 1, "subid/single/with", 42);
            sub.subscribe(2, "subid/single/without", 0);

            pub.publish("subid/single/with", "x", 0, false, 0, null);
            assertEquals(List.of(42), properties(sub.expect(MqttMessageType.PUBLISH), SUBSCRIPTION_IDENTIFIER));
            pub.publish("subid/single/without", "y", 0, false, 0, null);
            assertEquals(List.of(), properties(sub.expect(MqttMessageType.PUBLISH), SUBSCRIPTION_IDENTIFIER));
        }
    }

    @Test
    void overlappingSubscriptionsGiveOneCopyWithEveryIdentifier() throws Exception {
        try (RawMqttClient sub = raw("subid-overlap-sub"); RawMqttClient pub = raw("subid-overlap-pub")) {
            subscribe(sub, 1, "subid/overlap/+", 1);
            subscribe(sub, 2, "subid/overlap/#", 2);

            pub.publish("subid/overlap/t", "once", 0, false, 0, null);
            MqttPublishMessage p = sub.expect(MqttMessageType.PUBLISH);
            assertEquals("once", RawMqttClient.payload(p));
            assertEquals(Set.of(1, 2), Set.copyOf(properties(p, SUBSCRIPTION_IDENTIFIER)));
            assertEquals(2, properties(p, SUBSCRIPTION_IDENTIFIER).size());
            sub.expectNothing(QUIET);
        }
    }

    @Test
    void subscribingAgainReplacesTheIdentifier() throws Exception {
        try (RawMqttClient sub = raw("subid-replace-sub"); RawMqttClient pub = raw("subid-replace-pub")) {
            subscribe(sub, 1, "subid/replace/t", 1);
            subscribe(sub, 2, "subid/replace/t", 5);

            pub.publish("subid/replace/t", "x", 0, false, 0, null);
            assertEquals(List.of(5), properties(sub.expect(MqttMessageType.PUBLISH), SUBSCRIPTION_IDENTIFIER));
            sub.expectNothing(QUIET);
        }
    }

    @Test
    void retainedMessageSentOnSubscribeCarriesTheIdentifier() throws Exception {
        try (RawMqttClient sub = raw("subid-retained-sub"); RawMqttClient pub = raw("subid-retained-pub")) {
            pub.publish("subid/retained/t", "kept", 1, true, 1, null);
            pub.expect(MqttMessageType.PUBACK);

            subscribe(sub, 1, "subid/retained/+", 7);
            MqttPublishMessage p = sub.expect(MqttMessageType.PUBLISH);
            assertEquals("kept", RawMqttClient.payload(p));
            assertEquals(List.of(7), properties(p, SUBSCRIPTION_IDENTIFIER));

            pub.publish("subid/retained/t", "", 1, true, 2, null);
            pub.expect(MqttMessageType.PUBACK);
        }
    }

    @Test
    void identifierZeroIsAProtocolError() throws Exception {
        try (RawMqttClient sub = raw("subid-zero")) {
            sub.send(MqttMessageBuilders.subscribe().messageId(1)
                    .addSubscription("subid/zero", MqttSubscriptionOption.onlyFromQos(MqttQoS.AT_MOST_ONCE))
                    .properties(props(intProp(SUBSCRIPTION_IDENTIFIER, 0))).build());
            expectDisconnect(sub, 0x82);
        }
    }

    private RawMqttClient raw(String clientId) throws InterruptedException {
        return RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, clientId, true, null);
    }

    private static void subscribe(RawMqttClient c, int packetId, String filter, int identifier) {
        c.subscribe(packetId, filter, MqttSubscriptionOption.onlyFromQos(MqttQoS.AT_MOST_ONCE),
                props(intProp(SUBSCRIPTION_IDENTIFIER, identifier)));
    }
}
