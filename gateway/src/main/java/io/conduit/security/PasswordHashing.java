package io.conduit.security;

import io.conduit.config.ConduitConfig;
import io.quarkus.elytron.security.common.BcryptUtil;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.regex.Pattern;

/**
 * Device passwords: bcrypt hashes (Elytron's, through Quarkus' BcryptUtil) and the SCRAM-SHA-256 credentials
 * derived from the same password. CPU-heavy on purpose: never call {@link #hash} or {@link #verify} on an event loop.
 */
@ApplicationScoped
public class PasswordHashing {

    /** bcrypt in modular crypt form; $2b$ and $2y$ (OpenBSD, PHP, htpasswd) are the same algorithm as $2a$. */
    private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$\\d\\d\\$[./A-Za-z0-9]{53}");
    /** bcrypt reads at most 72 bytes of the password; longer ones would be silently truncated. */
    public static final int MAX_PASSWORD_BYTES = 72;

    private final SecureRandom random = new SecureRandom();

    @Inject
    ConduitConfig config;

    public String hash(String password) {
        return BcryptUtil.bcryptHash(password, config.security().devices().bcryptCost());
    }

    public static boolean isBcrypt(String hash) {
        return hash != null && BCRYPT.matcher(hash).matches();
    }

    public static boolean verify(String password, String hash) {
        if (!isBcrypt(hash)) {
            return false;
        }
        return BcryptUtil.matches(password, "$2a$" + hash.substring(4));
    }

    /** The SCRAM-SHA-256 server credentials for a password (RFC 5802 section 3; the password taken as UTF-8). */
    public ScramCredentials scram(String password) {
        byte[] salt = new byte[16];
        random.nextBytes(salt);
        int iterations = config.security().devices().scramIterations();
        try {
            PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, 256);
            byte[] salted = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
            spec.clearPassword();
            byte[] clientKey = hmac(salted, "Client Key");
            byte[] storedKey = MessageDigest.getInstance("SHA-256").digest(clientKey);
            byte[] serverKey = hmac(salted, "Server Key");
            return new ScramCredentials(salt, iterations, storedKey, serverKey);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SCRAM-SHA-256 unavailable", e);
        }
    }

    static byte[] hmac(byte[] key, String text) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Refuses passwords bcrypt cannot take whole: empty, or longer than 72 bytes in UTF-8. */
    public static void checkPassword(String password) {
        if (password == null || password.isEmpty()) {
            throw new IllegalArgumentException("password must not be empty");
        }
        if (password.getBytes(StandardCharsets.UTF_8).length > MAX_PASSWORD_BYTES) {
            throw new IllegalArgumentException("password must be at most " + MAX_PASSWORD_BYTES + " bytes (UTF-8)");
        }
    }
}
