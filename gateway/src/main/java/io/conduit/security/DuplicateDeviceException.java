package io.conduit.security;

/** A client id or username that another device already has. */
public class DuplicateDeviceException extends RuntimeException {

    public DuplicateDeviceException(String message) {
        super(message);
    }
}
