package io.conduit.security;

/**
 * What one client may do, for the checks made away from its packets: each message delivered to it, and its will
 * when the will is published. Asked on event loops and timer threads for every delivery: implementations answer
 * from memory and allocate nothing once an answer is cached.
 */
public interface ClientPermissions {

    /** Whether a message on {@code topic} (a topic name) may be delivered to the client. */
    boolean mayReceive(String topic);

    /** Whether the client may publish to {@code topic} now (asked again for its will, as the rules may have changed). */
    boolean mayPublish(String topic, int qos, boolean retain);
}
