package io.conduit.plugin;

import io.conduit.api.mqtt.PublishPacket;
import io.conduit.api.mqtt.SubscriptionView;
import io.conduit.routing.Message;
import io.conduit.routing.Subscription;
import io.conduit.routing.Topics;

import java.util.Map;

/** Conversions between the broker's messages and subscriptions and the SDK's immutable views of them. */
final class Packets {

    private Packets() {
    }

    static PublishPacket toPacket(Message m) {
        return toPacket(m, m.qos(), m.retain());
    }

    /** A message as one delivery sends it: at that QoS and with that RETAIN flag. */
    static PublishPacket toPacket(Message m, int qos, boolean retain) {
        PublishPacket.Builder b = PublishPacket.builder().topic(m.topic()).payload(m.payload()).qos(qos)
                .retain(retain).contentType(m.contentType()).responseTopic(m.responseTopic())
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

    static SubscriptionView toView(Subscription s) {
        return new SubscriptionView(s.filter(), s.shareGroup(), s.qos(), s.noLocal(), s.retainAsPublished(),
                s.retainHandling(), s.identifier());
    }

    /** A subscription a plugin made or changed, or null when its filter or share group is not valid. */
    static Subscription toSubscription(String clientId, SubscriptionView v, int maxTopicLevels) {
        if (!Topics.isValidFilter(v.topicFilter(), maxTopicLevels)) {
            return null;
        }
        if (v.shareGroup() != null) {
            Topics.SharedFilter shared = Topics.parseShared(v.fullFilter());
            if (shared == null || !shared.group().equals(v.shareGroup()) || v.noLocal()) {
                return null;
            }
        }
        if (v.identifier() < 0 || v.identifier() > 268_435_455) {
            return null;
        }
        return new Subscription(clientId, v.topicFilter(), v.shareGroup(), v.qos(), v.noLocal(),
                v.retainAsPublished(), v.retainHandling(), v.identifier());
    }
}
