package io.conduit.security;

/**
 * What a server keeps to verify SCRAM-SHA-256 (RFC 5802, RFC 7677) without the password: the salt, the PBKDF2
 * iteration count, StoredKey = SHA-256(HMAC(SaltedPassword, "Client Key")) and ServerKey = HMAC(SaltedPassword,
 * "Server Key").
 */
public record ScramCredentials(byte[] salt, int iterations, byte[] storedKey, byte[] serverKey) {

    @Override
    public String toString() {
        return "ScramCredentials[iterations=" + iterations + "]";
    }
}
