package io.conduit.security;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.conduit.config.ConduitConfig;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Slows down password guessing on CONNECT: counts failed authentications per client id and per remote address, and
 * says how long the refusing CONNACK is held back: {@code initial-delay}, doubling with each further failure up to
 * {@code max-delay}. Only refusals wait, so a client that authenticates is never delayed by anyone's failures; its
 * success clears the count of its client id. Counts are forgotten {@code forget-after} the last failure.
 */
@ApplicationScoped
public class BruteForceGuard {

    @Inject
    ConduitConfig config;

    private long initialMillis;
    private long maxMillis;
    private Cache<String, Integer> byClientId;
    private Cache<String, Integer> byAddress;

    @PostConstruct
    void init() {
        ConduitConfig.BruteForce cfg = config.security().bruteForce();
        initialMillis = cfg.initialDelay().toMillis();
        maxMillis = Math.max(initialMillis, cfg.maxDelay().toMillis());
        byClientId = Caffeine.newBuilder().expireAfterWrite(cfg.forgetAfter()).maximumSize(cfg.maxTracked()).build();
        byAddress = Caffeine.newBuilder().expireAfterWrite(cfg.forgetAfter()).maximumSize(cfg.maxTracked()).build();
    }

    /** Counts a failed authentication; returns the milliseconds to wait before refusing (0: at once). */
    public long failed(String clientId, SocketAddress remote) {
        if (initialMillis <= 0) {
            return 0;
        }
        int failures = byClientId.asMap().merge(clientId, 1, Integer::sum);
        String address = address(remote);
        if (address != null) {
            failures = Math.max(failures, byAddress.asMap().merge(address, 1, Integer::sum));
        }
        int doublings = Math.min(failures - 1, 30);
        return Math.min(maxMillis, initialMillis << doublings);
    }

    public void succeeded(String clientId) {
        byClientId.invalidate(clientId);
    }

    private static String address(SocketAddress remote) {
        if (remote instanceof InetSocketAddress inet) {
            return inet.getAddress() != null ? inet.getAddress().getHostAddress() : inet.getHostString();
        }
        return remote == null ? null : remote.toString();
    }
}
