package io.conduit.security;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.conduit.api.mqtt.ClientInfo;
import io.conduit.config.ConduitConfig;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code devices} link of the authentication chain: the device registry. The device is the one with the
 * CONNECT's username, else the one with its client id; lookup and bcrypt run on this provider's own threads, never
 * on the event loop. Successful checks are remembered for {@code conduit.security.devices.auth-cache-ttl} under the
 * device and a SHA-256 of the password, so that a reconnect storm does not pay bcrypt for each client; a change to
 * the device forgets them.
 *
 * <p>Answers: no such device: NEXT. A device found by client id that logs in with a username the client did not
 * give: 0x87. No password: 0x87 (a registered device never gets in anonymously). A device bound to another client
 * id: 0x85. No password hash on the device: NEXT (another provider may vouch for it, e.g. with a token). Wrong
 * password: 0x86. Right password but disabled: 0x87.
 */
@ApplicationScoped
public class DeviceAuthenticationProvider implements AuthenticationProvider {

    private static final Logger LOG = Logger.getLogger(DeviceAuthenticationProvider.class);

    @Inject
    Devices devices;

    @Inject
    ConduitConfig config;

    private record CacheKey(String username, String clientId, String passwordDigest) {
        @Override
        public String toString() {
            return "CacheKey[" + username + ", " + clientId + "]";
        }
    }

    private ThreadPoolExecutor pool;
    private Cache<CacheKey, AuthResult> verified;
    /** Bumped by every device change, so that a check that raced with a change is not remembered. */
    private final AtomicLong changes = new AtomicLong();

    @PostConstruct
    void init() {
        ConduitConfig.Devices cfg = config.security().devices();
        int threads = Math.max(1, cfg.authThreads());
        AtomicInteger n = new AtomicInteger();
        pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(Math.max(1, cfg.authQueue())), r -> {
                    Thread t = new Thread(r, "conduit-auth-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        if (!cfg.authCacheTtl().isZero() && cfg.authCacheSize() > 0) {
            verified = Caffeine.newBuilder().expireAfterWrite(cfg.authCacheTtl()).maximumSize(cfg.authCacheSize())
                    .build();
        }
    }

    @PreDestroy
    void stop() {
        pool.shutdownNow();
    }

    @Override
    public String id() {
        return "devices";
    }

    @Override
    public CompletionStage<AuthResult> authenticate(ConnectRequest request, ClientInfo client) {
        CacheKey key = request.password() == null || verified == null ? null
                : new CacheKey(request.username(), request.clientId(), sha256(request.password()));
        if (key != null) {
            AuthResult hit = verified.getIfPresent(key);
            if (hit != null) {
                devices.seen(hit.identity().deviceId());
                return CompletableFuture.completedFuture(hit);
            }
        }
        if (!devices.mayBeRegistered(request.username(), request.clientId())) {
            return CompletableFuture.completedFuture(AuthResult.next());
        }
        CompletableFuture<AuthResult> result = new CompletableFuture<>();
        try {
            pool.execute(() -> {
                try {
                    result.complete(check(request, key));
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.debugf("client %s: authentication queue full", request.clientId());
            return CompletableFuture.completedFuture(
                    AuthResult.failure(AuthResult.SERVER_BUSY, "too many connections authenticating"));
        }
        return result;
    }

    private AuthResult check(ConnectRequest request, CacheKey key) {
        long changesBefore = changes.get();
        Device d;
        try {
            d = devices.forLogin(request.username(), request.clientId());
        } catch (RuntimeException e) {
            LOG.warnf("client %s: device registry unavailable: %s", request.clientId(), e.toString());
            return AuthResult.failure(AuthResult.SERVER_UNAVAILABLE, "device registry unavailable");
        }
        if (d == null) {
            return AuthResult.next();
        }
        if (d.username() != null && !d.username().equals(request.username())) {
            return AuthResult.failure(AuthResult.NOT_AUTHORIZED, "client id belongs to a registered device");
        }
        if (request.password() == null) {
            return AuthResult.failure(AuthResult.NOT_AUTHORIZED, "registered device: password required");
        }
        if (d.clientId() != null && !d.clientId().equals(request.clientId())) {
            return AuthResult.failure(AuthResult.CLIENT_IDENTIFIER_NOT_VALID,
                    "this device must connect with its registered client id");
        }
        if (!d.hasPassword()) {
            return AuthResult.next();
        }
        if (!PasswordHashing.verify(new String(request.password(), StandardCharsets.UTF_8), d.passwordHash())) {
            return AuthResult.failure(AuthResult.BAD_USERNAME_OR_PASSWORD, "bad user name or password");
        }
        if (!d.enabled()) {
            return AuthResult.failure(AuthResult.NOT_AUTHORIZED, "device disabled");
        }
        AuthResult ok = AuthResult.accept(new AuthResult.Identity(d.username(), Set.copyOf(d.groups()), d.id()));
        if (key != null) {
            verified.put(key, ok);
            if (changes.get() != changesBefore) {
                verified.invalidate(key);
            }
        }
        devices.seen(d.id());
        return ok;
    }

    void onDeviceChanged(@Observes DeviceChanged change) {
        changes.incrementAndGet();
        if (verified != null) {
            verified.asMap().values().removeIf(r -> Objects.equals(r.identity().deviceId(), change.id()));
        }
    }

    private static String sha256(byte[] password) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(password));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
