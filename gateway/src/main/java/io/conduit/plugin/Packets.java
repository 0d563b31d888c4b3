package io.conduit.plugin;

import io.conduit.api.mqtt.PublishPacket;
import io.conduit.routing.Message;

import java.util.Map;

/** Conversions between the broker's messages and the SDK's immutable view of them. */
final class Packets {

    private Packets() {
    }

    static PublishPacket toPacket(Message m) {
        PublishPacket.Builder b = PublishPacket.builder().topic(m.topic()).payload(m.payload()).qos(m.qos())
                .retain(m.retain()).contentType(m.contentType()).responseTopic(m.responseTopic())
                .correlationData(m.correlationData())
                .messageExpiryInterval(m.expires() ? Math.max(0, m.remainingExpiry(System.nanoTime())) : -1);
        if (m.payloadFormat() != null) {
            b.payloadFormat(m.payloadFormat());
        }
        for (Map.Entry<String, String> e : m.userProperties()) {
            b.userProperty(e.getKey(), e.getValue());
        }
        return b.build();
    }

    /** The message a plugin made or changed; publisher is who sent it (null for the broker itself). */
    static Message toMessage(PublishPacket p, String publisher) {
        return new Message(p.topic(), p.payloadBytes(), p.qos(), p.retain(), publisher,
                p.payloadFormat().orElse(null), p.contentType().orElse(null), p.responseTopic().orElse(null),
                p.correlationData().orElse(null), p.userProperties(), p.messageExpiryInterval(), System.nanoTime());
    }
}
