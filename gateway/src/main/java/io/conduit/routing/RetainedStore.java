package io.conduit.routing;

import java.util.List;
import java.util.concurrent.CompletionStage;

/** Where retained messages live. The core owns this seam; memory and PostgreSQL are implementations. */
public interface RetainedStore {

    /**
     * Stores the message as the retained one of its topic, or clears the topic when the payload is empty. The stage
     * completes when the change is durable (at once for a store that keeps nothing).
     */
    CompletionStage<Void> put(Message message);

    /** The retained messages whose topics match a filter, expired ones left out. */
    List<Message> match(String filter);

    int size();
}
