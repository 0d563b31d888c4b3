package io.conduit.session;

import io.conduit.routing.Message;
import io.conduit.security.ClientPermissions;

import java.util.concurrent.ScheduledExecutorService;

/**
 * What a session needs of the connection it is attached to. Calls come under the session's monitor, from any
 * thread; implementations hand the packets to the connection's event loop.
 */
public interface Outbound {

    /**
     * Sends a PUBLISH. Returns false when the packet could not be sent at all (larger than the client's Maximum
     * Packet Size): the session then treats it as delivered, as MQTT 5.0 section 3.1.2.11.4 says.
     */
    boolean sendPublish(Message message, int qos, boolean retain, int[] subscriptionIds, int packetId, boolean dup);

    void sendPubrel(int packetId);

    /** Whether a QoS 0 message may be written now; a slow consumer loses QoS 0 rather than growing the heap. */
    boolean writable();

    /** How many outgoing QoS 1/2 messages may be unacknowledged (the client's Receive Maximum, capped). */
    int sendQuota();

    /** Closes the connection because another one took its session over. */
    void takeOver();

    /** The event loop that timers of this session run on. */
    ScheduledExecutorService executor();

    String clientId();

    /** What the connected client may receive and publish, checked on delivery and for its will. */
    ClientPermissions permissions();
}
