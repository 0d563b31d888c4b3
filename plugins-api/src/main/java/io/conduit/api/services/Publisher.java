package io.conduit.api.services;

import io.conduit.api.mqtt.PublishPacket;

import java.util.concurrent.CompletionStage;

/** Publishes messages as the broker itself (no client, no authorization). */
public interface Publisher {

    /** Routes the message; completes with the number of subscriptions it reached, once stored where it must be. */
    CompletionStage<Integer> publish(PublishPacket packet);
}
