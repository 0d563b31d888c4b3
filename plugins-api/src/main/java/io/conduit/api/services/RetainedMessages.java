package io.conduit.api.services;

import io.conduit.api.mqtt.PublishPacket;

import java.util.List;

/** The retained messages. */
public interface RetainedMessages {

    /**
     * Retained messages whose topic matches a filter.
     *
     * @param topicFilter a topic filter, wildcards allowed
     * @return an immutable list
     * @throws IllegalArgumentException when the filter is not valid
     */
    List<PublishPacket> find(String topicFilter);

    /**
     * Stores a retained message, replacing the topic's previous one; an empty payload removes it.
     *
     * @param packet the message (its retain flag is implied)
     * @throws IllegalArgumentException when the topic is not a valid topic name
     */
    void put(PublishPacket packet);

    /**
     * Removes the retained message of a topic, if any.
     *
     * @param topic a topic name
     * @throws IllegalArgumentException when the topic is not a valid topic name
     */
    void remove(String topic);
}
