package io.conduit.mqtt;

import io.conduit.testing.PahoInbox;
import io.conduit.testing.RawMqttClient;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static io.conduit.testing.V5Packets.binaryProp;
import static io.conduit.testing.V5Packets.intProp;
import static io.conduit.testing.V5Packets.property;
import static io.conduit.testing.V5Packets.props;
import static io.conduit.testing.V5Packets.publish;
import static io.conduit.testing.V5Packets.stringProp;
import static io.conduit.testing.V5Packets.utf8;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.CONTENT_TYPE;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.CORRELATION_DATA;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.PAYLOAD_FORMAT_INDICATOR;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.RESPONSE_TOPIC;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.USER_PROPERTY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MQTT 5.0 section 3.3.2.3: the application properties of a PUBLISH (User Property, Response Topic, Correlation
 * Data, Payload Format Indicator, Content Type) reach subscribers unchanged.
 */
@QuarkusTest
class UserPropertiesTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @Inject
    MqttServer server;

    @Test
    void applicationPropertiesArePassedThroughUnchanged() throws Exception {
        try (RawMqttClient sub = raw("userprops-raw-sub"); RawMqttClient pub = raw("userprops-raw-pub")) {
            sub.subscribe(1, "userprops/raw/t", 1);
            byte[] correlation = {0, 1, 2, (byte) 0xFF};
            MqttProperties sent = props(
                    new MqttProperties.UserProperty("k", "1"),
                    new MqttProperties.UserProperty("k", "2"),
                    new MqttProperties.UserProperty("ünïcode", "värde"),
                    stringProp(RESPONSE_TOPIC, "userprops/raw/reply"),
                    binaryProp(CORRELATION_DATA, correlation),
                    intProp(PAYLOAD_FORMAT_INDICATOR, 1),
                    stringProp(CONTENT_TYPE, "application/json"));
            pub.send(publish("userprops/raw/t", utf8("{\"a\":1}"), 1, 1, sent));
            assertEquals(0x00, RawMqttClient.reasonCode(pub.expect(MqttMessageType.PUBACK)));

            MqttPublishMessage p = sub.expect(MqttMessageType.PUBLISH);
            assertEquals("{\"a\":1}", RawMqttClient.payload(p));
            // Repeated keys and their order are part of the contract (section 3.3.2.3.7).
            List<String> userProps = p.variableHeader().properties().getProperties(USER_PROPERTY.value()).stream()
                    .map(u -> ((MqttProperties.UserProperty) u).value())
                    .map(pair -> pair.key + "=" + pair.value).toList();
            assertEquals(List.of("k=1", "k=2", "ünïcode=värde"), userProps);
            assertEquals("userprops/raw/reply", property(p, RESPONSE_TOPIC));
            assertArrayEquals(correlation, (byte[]) property(p, CORRELATION_DATA));
            assertEquals(1, property(p, PAYLOAD_FORMAT_INDICATOR));
            assertEquals("application/json", property(p, CONTENT_TYPE));
        }
    }

    @Test
    void pahoRequestResponseRoundTrip() throws Exception {
        try (PahoInbox responder = PahoInbox.connect(server.tcpPort(), "userprops-paho-responder");
             PahoInbox requester = PahoInbox.connect(server.tcpPort(), "userprops-paho-requester")) {
            responder.client().subscribe("userprops/paho/request", 1);
            requester.client().subscribe("userprops/paho/reply", 1);

            MqttMessage request = new MqttMessage(utf8("ping"), 1, false, null);
            org.eclipse.paho.mqttv5.common.packet.MqttProperties requestProps =
                    new org.eclipse.paho.mqttv5.common.packet.MqttProperties();
            requestProps.setResponseTopic("userprops/paho/reply");
            requestProps.setCorrelationData(utf8("req-17"));
            requestProps.setContentType("text/plain");
            requestProps.setPayloadFormat(true);
            requestProps.setUserProperties(List.of(new UserProperty("trace", "abc"), new UserProperty("hop", "1")));
            request.setProperties(requestProps);
            requester.client().publish("userprops/paho/request", request);

            PahoInbox.Received got = responder.next(WAIT);
            org.eclipse.paho.mqttv5.common.packet.MqttProperties seen = got.message().getProperties();
            assertEquals("ping", got.payload());
            assertEquals("userprops/paho/reply", seen.getResponseTopic());
            assertArrayEquals(utf8("req-17"), seen.getCorrelationData());
            assertEquals("text/plain", seen.getContentType());
            assertTrue(seen.getPayloadFormat());
            assertEquals(List.of("trace=abc", "hop=1"),
                    seen.getUserProperties().stream().map(u -> u.getKey() + "=" + u.getValue()).toList());

            MqttMessage reply = new MqttMessage(utf8("pong"), 1, false, null);
            org.eclipse.paho.mqttv5.common.packet.MqttProperties replyProps =
                    new org.eclipse.paho.mqttv5.common.packet.MqttProperties();
            replyProps.setCorrelationData(seen.getCorrelationData());
            reply.setProperties(replyProps);
            responder.client().publish(seen.getResponseTopic(), reply);

            PahoInbox.Received answer = requester.next(WAIT);
            assertEquals("pong", answer.payload());
            assertArrayEquals(utf8("req-17"), answer.message().getProperties().getCorrelationData());
        }
    }

    @Test
    void invalidUtf8WithPayloadFormatIndicatorIsRejected() throws Exception {
        try (RawMqttClient sub = raw("userprops-pfi-sub"); RawMqttClient pub = raw("userprops-pfi-pub")) {
            sub.subscribe(1, "userprops/pfi/t", 1);
            byte[] notUtf8 = {(byte) 0xC3, 0x28, (byte) 0xFF};
            pub.send(publish("userprops/pfi/t", notUtf8, 1, 1, props(intProp(PAYLOAD_FORMAT_INDICATOR, 1))));
            assertEquals(0x99, RawMqttClient.reasonCode(pub.expect(MqttMessageType.PUBACK)));
            sub.expectNothing(Duration.ofMillis(400));

            // The same bytes declared as unspecified binary are fine.
            pub.send(publish("userprops/pfi/t", notUtf8, 1, 2, props(intProp(PAYLOAD_FORMAT_INDICATOR, 0))));
            assertEquals(0x00, RawMqttClient.reasonCode(pub.expect(MqttMessageType.PUBACK)));
            MqttPublishMessage p = sub.expect(MqttMessageType.PUBLISH);
            assertEquals(0, property(p, PAYLOAD_FORMAT_INDICATOR));
        }
    }

    private RawMqttClient raw(String clientId) throws InterruptedException {
        return RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, clientId, true, null);
    }
}
