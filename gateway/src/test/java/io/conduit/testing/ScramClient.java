package io.conduit.testing;

import io.conduit.security.ScramCredential;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/** The client side of SCRAM-SHA-256 (RFC 5802), written from the RFC, to talk to the broker in tests. */
public final class ScramClient {

    private final String user;
    private final String password;
    private final String clientNonce;
    private String clientFirstBare;
    private byte[] expectedServerSignature;

    public ScramClient(String user, String password) {
        this(user, password, randomNonce());
    }

    /** With a given nonce, to replay the RFC's example. */
    public ScramClient(String user, String password, String clientNonce) {
        this.user = user;
        this.password = password;
        this.clientNonce = clientNonce;
    }

    private static String randomNonce() {
        byte[] nonce = new byte[18];
        new SecureRandom().nextBytes(nonce);
        return Base64.getEncoder().encodeToString(nonce);
    }

    public byte[] clientFirst() {
        clientFirstBare = "n=" + user.replace("=", "=3D").replace(",", "=2C") + ",r=" + clientNonce;
        return utf8("n,," + clientFirstBare);
    }

    /** Answers server-first-message with client-final-message, the proof of the password. */
    public byte[] clientFinal(byte[] serverFirstBytes) {
        String serverFirst = new String(serverFirstBytes, StandardCharsets.UTF_8);
        Map<String, String> f = fields(serverFirst);
        String nonce = f.get("r");
        if (!nonce.startsWith(clientNonce) || nonce.length() == clientNonce.length()) {
            throw new AssertionError("server nonce must extend the client's: " + serverFirst);
        }
        byte[] salted = ScramCredential.saltedPassword(password, Base64.getDecoder().decode(f.get("s")),
                Integer.parseInt(f.get("i")));
        byte[] clientKey = ScramCredential.hmac(salted, "Client Key");
        byte[] storedKey = ScramCredential.sha256(clientKey);
        String withoutProof = "c=" + Base64.getEncoder().encodeToString(utf8("n,,")) + ",r=" + nonce;
        byte[] authMessage = utf8(clientFirstBare + "," + serverFirst + "," + withoutProof);
        byte[] signature = ScramCredential.hmac(storedKey, authMessage);
        byte[] proof = new byte[clientKey.length];
        for (int i = 0; i < proof.length; i++) {
            proof[i] = (byte) (clientKey[i] ^ signature[i]);
        }
        expectedServerSignature = ScramCredential.hmac(ScramCredential.hmac(salted, "Server Key"), authMessage);
        return utf8(withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof));
    }

    /** Whether server-final-message proves the server knows the password too. */
    public boolean serverVerified(byte[] serverFinal) {
        String v = fields(new String(serverFinal, StandardCharsets.UTF_8)).get("v");
        return v != null && MessageDigest.isEqual(Base64.getDecoder().decode(v), expectedServerSignature);
    }

    private static Map<String, String> fields(String message) {
        Map<String, String> out = new HashMap<>();
        for (String part : message.split(",")) {
            out.put(part.substring(0, 1), part.substring(2));
        }
        return out;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
