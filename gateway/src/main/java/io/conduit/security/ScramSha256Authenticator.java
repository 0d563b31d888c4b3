package io.conduit.security;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * MQTT 5.0 enhanced authentication with SCRAM-SHA-256 (RFC 5802, RFC 7677) over AUTH packets, at CONNECT and as
 * re-authentication. The client opens with client-first-message as Authentication Data, the broker answers
 * server-first-message (AUTH 0x18), the client sends client-final-message with its proof, and the broker ends with
 * server-final-message (the server signature) in CONNACK or the final AUTH. No channel binding; the SCRAM username
 * must be the connection's username (from CONNECT or the client certificate).
 */
@ApplicationScoped
public class ScramSha256Authenticator implements EnhancedAuthenticator {

    public static final String METHOD = "SCRAM-SHA-256";
    private static final String GS2_HEADER = "n,,";
    private static final int FAKE_ITERATIONS = 4096;

    private final SecureRandom random = new SecureRandom();
    /** Keys the made-up salts of unknown users, so that a probe sees the same salt twice and learns nothing. */
    private final byte[] fakeSaltKey = new byte[32];

    @Inject
    ScramCredentials credentials;

    public ScramSha256Authenticator() {
        random.nextBytes(fakeSaltKey);
    }

    @Override
    public String method() {
        return METHOD;
    }

    @Override
    public AuthExchange begin(ConnectRequest request) {
        return new Exchange(request.username());
    }

    /** One conversation: client-first, then client-final. */
    private final class Exchange implements AuthExchange {
        private final String connectionUser;
        private String clientFirstBare;
        private String serverFirst;
        private String nonce;
        private ScramCredential credential;
        private boolean known;

        Exchange(String connectionUser) {
            this.connectionUser = connectionUser;
        }

        @Override
        public CompletionStage<Step> next(byte[] clientData) {
            String message = clientData == null ? "" : new String(clientData, StandardCharsets.UTF_8);
            try {
                return serverFirst == null ? clientFirst(message) : CompletableFuture.completedFuture(
                        clientFinal(message));
            } catch (IllegalArgumentException e) {
                return CompletableFuture.completedFuture(new Failure(AuthResult.NOT_AUTHORIZED, e.getMessage()));
            }
        }

        private CompletionStage<Step> clientFirst(String message) {
            if (!message.startsWith(GS2_HEADER)) {
                throw new IllegalArgumentException("SCRAM: expected a client-first-message without channel binding "
                        + "(gs2 header n,,)");
            }
            clientFirstBare = message.substring(GS2_HEADER.length());
            String[] parts = clientFirstBare.split(",", -1);
            if (parts.length < 2 || !parts[0].startsWith("n=") || !parts[1].startsWith("r=") || parts[1].length() < 3) {
                throw new IllegalArgumentException("SCRAM: malformed client-first-message");
            }
            String user = parts[0].substring(2).replace("=2C", ",").replace("=3D", "=");
            String clientNonce = parts[1].substring(2);
            if (connectionUser == null || !connectionUser.equals(user)) {
                return CompletableFuture.completedFuture(new Failure(AuthResult.BAD_USERNAME_OR_PASSWORD,
                        "SCRAM username must be the connection's username"));
            }
            byte[] serverNonce = new byte[18];
            random.nextBytes(serverNonce);
            nonce = clientNonce + Base64.getEncoder().encodeToString(serverNonce);
            return credentials.lookup(user).thenApply(found -> challenge(user, found));
        }

        private Step challenge(String user, Optional<ScramCredential> found) {
            known = found.isPresent();
            // An unknown user gets a challenge like any other and fails at the proof: no user enumeration.
            credential = found.orElseGet(() -> fake(user));
            serverFirst = "r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(credential.salt()) + ",i="
                    + credential.iterations();
            return new Continue(serverFirst.getBytes(StandardCharsets.UTF_8));
        }

        private Step clientFinal(String message) {
            int proofAt = message.lastIndexOf(",p=");
            if (proofAt < 0 || !message.startsWith("c=")) {
                throw new IllegalArgumentException("SCRAM: malformed client-final-message");
            }
            String withoutProof = message.substring(0, proofAt);
            String[] parts = withoutProof.split(",", -1);
            String binding = Base64.getEncoder().encodeToString(GS2_HEADER.getBytes(StandardCharsets.UTF_8));
            if (parts.length < 2 || !parts[0].equals("c=" + binding) || !parts[1].equals("r=" + nonce)) {
                throw new IllegalArgumentException("SCRAM: channel binding or nonce does not match");
            }
            byte[] proof;
            try {
                proof = Base64.getDecoder().decode(message.substring(proofAt + 3));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("SCRAM: proof is not base64");
            }
            byte[] authMessage = (clientFirstBare + "," + serverFirst + "," + withoutProof)
                    .getBytes(StandardCharsets.UTF_8);
            byte[] clientSignature = ScramCredential.hmac(credential.storedKey(), authMessage);
            if (proof.length != clientSignature.length) {
                return wrong();
            }
            byte[] clientKey = new byte[proof.length];
            for (int i = 0; i < proof.length; i++) {
                clientKey[i] = (byte) (proof[i] ^ clientSignature[i]);
            }
            if (!MessageDigest.isEqual(ScramCredential.sha256(clientKey), credential.storedKey()) || !known) {
                return wrong();
            }
            byte[] serverSignature = ScramCredential.hmac(credential.serverKey(), authMessage);
            return new Success(("v=" + Base64.getEncoder().encodeToString(serverSignature))
                    .getBytes(StandardCharsets.UTF_8));
        }

        private Step wrong() {
            return new Failure(AuthResult.BAD_USERNAME_OR_PASSWORD, "SCRAM: wrong username or password");
        }
    }

    private ScramCredential fake(String user) {
        byte[] salt = new byte[16];
        System.arraycopy(ScramCredential.hmac(fakeSaltKey, user), 0, salt, 0, salt.length);
        byte[] key = new byte[32];
        random.nextBytes(key);
        return new ScramCredential(salt, FAKE_ITERATIONS, key, key);
    }
}
