package io.conduit.testing;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttPublishVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttSubscriptionOption;
import io.netty.handler.codec.mqtt.MqttUnsubAckMessage;
import io.netty.handler.codec.mqtt.MqttVersion;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Packet builders and synchronisation points for {@link RawMqttClient} tests.
 *
 * <p>The broker routes a PUBLISH before it acknowledges it, and each connection puts its outgoing packets on the
 * wire in the order they were produced, whichever thread produced them. So once a publisher has its PUBACK, every
 * copy of its message is queued on the subscribers' connections, and a PINGREQ from a subscriber acts as a barrier:
 * whatever the broker meant to send it arrives before the PINGRESP. Tests use that, not sleeps, to prove that
 * something was <em>not</em> sent.
 */
public final class Wire {

    private Wire() {
    }

    /** A 3.1/3.1.1/5.0 CONNECT builder with the given keep alive (RawMqttClient.connect always uses 60 s). */
    public static MqttMessageBuilders.ConnectBuilder connect(MqttVersion version, String clientId, boolean cleanStart,
                                                             int keepAlive, MqttProperties props) {
        return MqttMessageBuilders.connect().protocolVersion(version).clientId(clientId).cleanSession(cleanStart)
                .keepAlive(keepAlive).properties(props == null ? MqttProperties.NO_PROPERTIES : props);
    }

    /** Opens a socket, sends the CONNECT, asserts it is accepted and returns the client and its CONNACK. */
    public static Connected open(int port, MqttMessageBuilders.ConnectBuilder connect) throws InterruptedException {
        RawMqttClient c = RawMqttClient.open(port);
        c.send(connect.build());
        MqttConnAckMessage ack = c.expect(MqttMessageType.CONNACK);
        if (ack.variableHeader().connectReturnCode().byteValue() != 0) {
            c.close();
            throw new AssertionError("CONNACK " + ack.variableHeader().connectReturnCode());
        }
        return new Connected(c, ack);
    }

    public record Connected(RawMqttClient client, MqttConnAckMessage connAck) {
        public boolean sessionPresent() {
            return connAck.variableHeader().isSessionPresent();
        }
    }

    public static MqttProperties props(MqttProperties.MqttPropertyType type, int value) {
        MqttProperties p = new MqttProperties();
        p.add(new MqttProperties.IntegerProperty(type.value(), value));
        return p;
    }

    /** A PUBLISH with every flag under control, DUP included (Netty's builder cannot set DUP). */
    public static MqttPublishMessage publish(String topic, String payload, int qos, boolean retain, boolean dup,
                                             int packetId) {
        return new MqttPublishMessage(new MqttFixedHeader(MqttMessageType.PUBLISH, dup, MqttQoS.valueOf(qos), retain, 0),
                new MqttPublishVariableHeader(topic, qos == 0 ? -1 : packetId, MqttProperties.NO_PROPERTIES),
                Unpooled.copiedBuffer(payload, StandardCharsets.UTF_8));
    }

    /** Publishes at QoS 1 and waits for the PUBACK, after which the message has been routed. */
    public static void publishRouted(RawMqttClient c, String topic, String payload, int packetId, boolean retain) {
        c.publish(topic, payload, 1, retain, packetId, null);
        MqttMessage ack = c.expect(MqttMessageType.PUBACK);
        if (packetId(ack) != packetId) {
            throw new AssertionError("PUBACK for " + packetId(ack) + " instead of " + packetId);
        }
    }

    /** SUBSCRIBE with several filters at once; returns the SUBACK reason codes. */
    public static List<Integer> subscribe(RawMqttClient c, int packetId, int qos, String... filters) {
        MqttMessageBuilders.SubscribeBuilder b = MqttMessageBuilders.subscribe().messageId(packetId);
        for (String f : filters) {
            b.addSubscription(f, MqttSubscriptionOption.onlyFromQos(MqttQoS.valueOf(qos)));
        }
        c.send(b.build());
        MqttSubAckMessage ack = c.expect(MqttMessageType.SUBACK);
        return ack.payload().reasonCodes();
    }

    public static MqttUnsubAckMessage unsubscribe(RawMqttClient c, int packetId, String... filters) {
        MqttMessageBuilders.UnsubscribeBuilder b = MqttMessageBuilders.unsubscribe().messageId(packetId);
        for (String f : filters) {
            b.addTopicFilter(f);
        }
        c.send(b.build());
        return c.expect(MqttMessageType.UNSUBACK);
    }

    public static void ping(RawMqttClient c) {
        c.send(new MqttMessage(new MqttFixedHeader(MqttMessageType.PINGREQ, false, MqttQoS.AT_MOST_ONCE, false, 0)));
    }

    /** Sends PINGREQ and returns every packet that arrived before the PINGRESP. */
    public static List<MqttMessage> untilPingResp(RawMqttClient c) {
        ping(c);
        List<MqttMessage> before = new ArrayList<>();
        while (true) {
            MqttMessage m = c.poll(Duration.ofSeconds(5));
            if (m == null) {
                throw new AssertionError("no PINGRESP within 5 s; got " + before);
            }
            if (m.fixedHeader().messageType() == MqttMessageType.PINGRESP) {
                return before;
            }
            before.add(m);
        }
    }

    /** Like {@link #untilPingResp} but every packet must be a PUBLISH. */
    public static List<MqttPublishMessage> publishesUntilPingResp(RawMqttClient c) {
        List<MqttPublishMessage> out = new ArrayList<>();
        for (MqttMessage m : untilPingResp(c)) {
            if (!(m instanceof MqttPublishMessage p)) {
                throw new AssertionError("expected only PUBLISH before PINGRESP but got " + m);
            }
            out.add(p);
        }
        return out;
    }

    /** Asserts that nothing is pending for the client: the next packet after a PINGREQ is the PINGRESP. */
    public static void expectNothingPending(RawMqttClient c) {
        List<MqttMessage> pending = untilPingResp(c);
        if (!pending.isEmpty()) {
            throw new AssertionError("expected nothing but got " + describe(pending));
        }
    }

    public static int packetId(MqttMessage m) {
        Object h = m.variableHeader();
        if (h instanceof MqttPublishVariableHeader p) {
            return p.packetId();
        }
        if (h instanceof io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader i) {
            return i.messageId();
        }
        if (h instanceof io.netty.handler.codec.mqtt.MqttMessageIdAndPropertiesVariableHeader i) {
            return i.messageId();
        }
        throw new AssertionError("no packet id in " + m);
    }

    public static String topic(MqttPublishMessage p) {
        return p.variableHeader().topicName();
    }

    public static String describe(List<? extends MqttMessage> packets) {
        return packets.stream().map(m -> m instanceof MqttPublishMessage p
                ? "PUBLISH(" + topic(p) + "=" + RawMqttClient.payload(p) + ")" : m.fixedHeader().messageType().name())
                .collect(Collectors.joining(", ", "[", "]"));
    }
}
