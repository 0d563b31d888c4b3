package io.conduit.security;

import java.util.concurrent.CompletionStage;

/** One challenge/response conversation of an enhanced authentication method. */
public interface AuthExchange {

    /** Consumes the client's Authentication Data (from CONNECT or AUTH) and says what comes next. */
    CompletionStage<Step> next(byte[] clientData);

    /** The next move: challenge the client again, accept it, or refuse it. */
    sealed interface Step permits Continue, Success, Failure {
    }

    /** Send AUTH 0x18 with this data and wait for the client's answer. */
    record Continue(byte[] data) implements Step {
    }

    /** Authenticated; the data (may be null) goes into CONNACK or the final AUTH. */
    record Success(byte[] data) implements Step {
    }

    record Failure(int reasonCode, String reason) implements Step {
    }
}
