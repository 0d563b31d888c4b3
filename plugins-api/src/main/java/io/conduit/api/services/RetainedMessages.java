package io.conduit.api.services;

import io.conduit.api.mqtt.PublishPacket;

import java.util.List;

/** The retained messages. */
public interface RetainedMessages {

    /** Retained messages whose topic matches a filter (wildcards allowed). */
    List<PublishPacket> find(String topicFilter);

    /** Stores a retained message, replacing the topic's previous one; an empty payload removes it. */
    void put(PublishPacket packet);

    void remove(String topic);
}
