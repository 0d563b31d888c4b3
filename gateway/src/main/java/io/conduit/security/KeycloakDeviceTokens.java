package io.conduit.security;

import org.jose4j.jwk.HttpsJwks;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.MalformedClaimException;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.keys.resolvers.HttpsJwksVerificationKeyResolver;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.regex.Pattern;

/**
 * Devices that connect with a Keycloak access token as their MQTT password (provider id {@code keycloak} of the
 * authentication chain). The token is checked here, not by calling Keycloak: signature against the realm's keys
 * (JWKS, fetched once, cached, fetched again when a token names a key not seen yet and every {@code jwksRefresh}),
 * issuer, audience and expiry. The identity is the token's {@code preferred_username} (else {@code sub}); a client
 * that also sends a username must send that one. The groups claim (a list of names, or a path into the token such as
 * {@code realm_access/roles}) gives the ACL groups.
 * <p>
 * Checking runs on the given executor, never on the caller's (event loop) thread: a JWKS fetch is blocking HTTP.
 */
public final class KeycloakDeviceTokens {

    public static final String PROVIDER_ID = "keycloak";

    private static final Logger LOG = Logger.getLogger(KeycloakDeviceTokens.class);
    /** Three base64url parts; the first must decode to a JOSE header. Anything else is some other kind of password. */
    private static final Pattern COMPACT_JWS = Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");

    /** What the token says about a CONNECT. */
    public sealed interface Decision {
    }

    /** A valid token: who the device is and the groups its claims put it in. */
    public record Accepted(String identity, List<String> groups) implements Decision {
    }

    /** A token, but not one to accept; {@code reasonCode} is the MQTT 5.0 CONNACK code (3.1.1: 4). */
    public record Denied(int reasonCode, String reason) implements Decision {
    }

    /** The password is not a JWT: another provider of the chain should look at it. */
    public record NotAToken() implements Decision {
    }

    private static final NotAToken NOT_A_TOKEN = new NotAToken();

    private final JwtConsumer consumer;
    private final String groupsClaim;
    private final Executor executor;

    /**
     * @param issuer      the realm URL, e.g. {@code http://keycloak:8080/realms/conduit}: tokens must name it
     * @param jwksUrl     where the realm's keys are; {@code null} for {@code <issuer>/protocol/openid-connect/certs}
     * @param audience    what the token's {@code aud} must contain
     * @param groupsClaim claim holding the groups, {@code /} separating nested names
     * @param clockSkew   how far past its expiry (or before its not-before) a token is still taken
     * @param jwksRefresh how long fetched keys are used before they are fetched again
     * @param executor    where checks run (a worker pool)
     */
    public KeycloakDeviceTokens(String issuer, String jwksUrl, String audience, String groupsClaim, Duration clockSkew,
                                Duration jwksRefresh, Executor executor) {
        String keys = jwksUrl != null ? jwksUrl : stripSlash(issuer) + "/protocol/openid-connect/certs";
        HttpsJwks jwks = new HttpsJwks(keys);
        jwks.setDefaultCacheDuration(Math.max(1, jwksRefresh.toSeconds()));
        // Keycloak briefly unreachable: keep verifying with the keys already known.
        jwks.setRetainCacheOnErrorDuration(Math.max(60, jwksRefresh.toSeconds()));
        this.consumer = new JwtConsumerBuilder()
                .setVerificationKeyResolver(new HttpsJwksVerificationKeyResolver(jwks))
                .setExpectedIssuer(stripSlash(issuer))
                .setExpectedAudience(audience)
                .setRequireExpirationTime()
                .setRequireSubject()
                .setAllowedClockSkewInSeconds((int) clockSkew.toSeconds())
                .build();
        this.groupsClaim = groupsClaim;
        this.executor = executor;
    }

    /**
     * Checks a CONNECT's password. Completes with {@link NotAToken} at once when the password is not shaped like a
     * JWT, otherwise on the executor.
     */
    public CompletionStage<Decision> check(String username, byte[] password) {
        if (password == null || password.length == 0) {
            return CompletableFuture.completedFuture(NOT_A_TOKEN);
        }
        String token = new String(password, StandardCharsets.US_ASCII);
        if (!looksLikeJwt(token)) {
            return CompletableFuture.completedFuture(NOT_A_TOKEN);
        }
        try {
            return CompletableFuture.supplyAsync(() -> verify(username, token), executor);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(new Denied(0x88, "token checks overloaded"));
        }
    }

    private Decision verify(String username, String token) {
        JwtClaims claims;
        try {
            claims = consumer.processToClaims(token);
        } catch (InvalidJwtException e) {
            LOG.debugf("device token refused: %s", e.getMessage());
            return new Denied(0x86, reason(e));
        }
        try {
            String identity = claims.getClaimValueAsString("preferred_username");
            if (identity == null || identity.isEmpty()) {
                identity = claims.getSubject();
            }
            if (username != null && !username.isEmpty() && !username.equals(identity)) {
                return new Denied(0x86, "username does not match the token");
            }
            return new Accepted(identity, groups(claims));
        } catch (MalformedClaimException e) {
            return new Denied(0x86, "malformed token claim");
        }
    }

    private List<String> groups(JwtClaims claims) {
        Object value = claims.getClaimsMap();
        for (String part : groupsClaim.split("/")) {
            value = value instanceof Map<?, ?> m ? m.get(part) : null;
        }
        List<String> out = new ArrayList<>();
        if (value instanceof List<?> list) {
            for (Object o : list) {
                if (o instanceof String s && !s.isEmpty()) {
                    // Keycloak's full group paths (/a/b) become their last name, as with full.path=false.
                    out.add(s.substring(s.lastIndexOf('/') + 1));
                }
            }
        } else if (value instanceof String s && !s.isEmpty()) {
            out.add(s);
        }
        return List.copyOf(out);
    }

    /** A short reason for the client (5.0 Reason String) and the log, without the token's content. */
    private static String reason(InvalidJwtException e) {
        if (e.hasExpired()) {
            return "token expired";
        }
        if (e.hasErrorCode(org.jose4j.jwt.consumer.ErrorCodes.AUDIENCE_INVALID)
                || e.hasErrorCode(org.jose4j.jwt.consumer.ErrorCodes.AUDIENCE_MISSING)) {
            return "token not meant for this broker (audience)";
        }
        if (e.hasErrorCode(org.jose4j.jwt.consumer.ErrorCodes.ISSUER_INVALID)) {
            return "token from another issuer";
        }
        if (e.hasErrorCode(org.jose4j.jwt.consumer.ErrorCodes.SIGNATURE_INVALID)) {
            return "token signature invalid";
        }
        return "token invalid";
    }

    static boolean looksLikeJwt(String token) {
        if (token.length() > 16384 || !COMPACT_JWS.matcher(token).matches()) {
            return false;
        }
        try {
            String header = new String(Base64.getUrlDecoder().decode(token.substring(0, token.indexOf('.'))),
                    StandardCharsets.UTF_8);
            return header.startsWith("{") && header.contains("\"alg\"");
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
