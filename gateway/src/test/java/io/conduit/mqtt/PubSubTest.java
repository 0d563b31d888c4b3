package io.conduit.mqtt;

import io.conduit.testing.RawMqttClient;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** Publish and subscribe at each QoS with a real client library, and the flags the broker puts on the wire. */
@QuarkusTest
class PubSubTest {

    @Inject
    MqttServer server;

    @Test
    void pahoRoundTripAtEveryQos() throws Exception {
        String uri = "tcp://127.0.0.1:" + server.tcpPort();
        MqttClient sub = new MqttClient(uri, "pubsub-sub", new MemoryPersistence());
        MqttClient pub = new MqttClient(uri, "pubsub-pub", new MemoryPersistence());
        MqttConnectOptions options = new MqttConnectOptions();
        options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        sub.connect(options);
        pub.connect(options);
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        sub.subscribe("pubsub/+/temp", 2, (topic, m) -> got.add(topic + "=" + new String(m.getPayload(),
                StandardCharsets.UTF_8) + "@" + m.getQos()));
        for (int qos = 0; qos <= 2; qos++) {
            pub.publish("pubsub/dev" + qos + "/temp", ("v" + qos).getBytes(StandardCharsets.UTF_8), qos, false);
            assertEquals("pubsub/dev" + qos + "/temp=v" + qos + "@" + qos, got.poll(5, TimeUnit.SECONDS));
        }
        pub.disconnect();
        sub.disconnect();
        pub.close();
        sub.close();
    }

    @Test
    void deliveryIsDowngradedToTheGrantedQos() throws Exception {
        try (RawMqttClient sub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_3_1_1, "down-sub", true, null);
             RawMqttClient pub = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_3_1_1, "down-pub", true, null)) {
            sub.subscribe(1, "down/t", 1);
            pub.publish("down/t", "x", 2, false, 7, null);
            pub.expect(MqttMessageType.PUBREC);
            MqttPublishMessage p = sub.expect(MqttMessageType.PUBLISH);
            assertEquals(1, p.fixedHeader().qosLevel().value());
            assertFalse(p.fixedHeader().isRetain());
            assertNotNull(p.variableHeader());
            assertEquals("x", RawMqttClient.payload(p));
        }
    }
}
