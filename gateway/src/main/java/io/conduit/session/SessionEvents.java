package io.conduit.session;

/** Told when sessions begin, are resumed and end: the seam of the plugins' session listeners. */
public interface SessionEvents {

    /** Whether anyone listens now; when not, the registry skips building events. */
    boolean listening();

    void created(String clientId, boolean persistent);

    void resumed(String clientId);

    /** @param cleanStart ended because a new connection asked for a clean start (else it expired) */
    void ended(String clientId, boolean cleanStart);
}
