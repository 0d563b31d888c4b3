package io.conduit.security;

import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;

/**
 * What the broker keeps of a SCRAM-SHA-256 password (RFC 5802, RFC 7677): never the password, only the salt, the
 * iteration count and the two keys derived from it.
 */
public record ScramCredential(byte[] salt, int iterations, byte[] storedKey, byte[] serverKey) {

    /** Derives the stored form of a password; for provisioning, never on an event loop (PBKDF2 is slow by design). */
    public static ScramCredential fromPassword(String password, byte[] salt, int iterations) {
        byte[] salted = saltedPassword(password, salt, iterations);
        byte[] clientKey = hmac(salted, "Client Key");
        return new ScramCredential(salt.clone(), iterations, sha256(clientKey), hmac(salted, "Server Key"));
    }

    /** Hi(password, salt, i) of RFC 5802: PBKDF2 with HMAC-SHA-256, on the UTF-8 bytes of the password. */
    public static byte[] saltedPassword(String password, byte[] salt, int iterations) {
        try {
            PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, 256);
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] hmac(byte[] key, String message) {
        return hmac(key, message.getBytes(StandardCharsets.UTF_8));
    }

    public static byte[] hmac(byte[] key, byte[] message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(message);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
