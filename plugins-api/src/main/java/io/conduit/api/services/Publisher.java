package io.conduit.api.services;

import io.conduit.api.mqtt.PublishPacket;

import java.util.concurrent.CompletionStage;

/** Publishes messages as the broker itself (no client, no authorization). */
public interface Publisher {

    /**
     * Routes a message to every matching subscription (retained first, when the packet says so).
     *
     * @param packet the message
     * @return completes with the number of subscriptions it reached, once it is stored where it must be
     * @throws IllegalArgumentException when the topic is not a valid topic name
     */
    CompletionStage<Integer> publish(PublishPacket packet);
}
