package io.conduit.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every setting under the {@code conduit.} prefix. Environment variables map the usual way
 * ({@code conduit.mqtt.port} is {@code CONDUIT_MQTT_PORT}).
 */
@ConfigMapping(prefix = "conduit")
public interface ConduitConfig {

    Mqtt mqtt();

    Session session();

    Security security();

    Sys sys();

    Persistence persistence();

    Plugins plugins();

    /** Each plugin's settings, {@code conduit.plugin.<id>.<key>=value}, over the defaults in its descriptor. */
    @WithName("plugin")
    Map<String, Map<String, String>> pluginSettings();

    interface Mqtt {
        /** Bind address of every MQTT listener. */
        @WithDefault("0.0.0.0")
        String host();

        /** Plain TCP port; 0 picks a free port, -1 disables the listener. */
        @WithDefault("1883")
        int port();

        /** TLS port, opened only when a certificate is configured. */
        @WithDefault("8883")
        int tlsPort();

        /** MQTT over WebSocket port; -1 disables it. */
        @WithDefault("8083")
        int wsPort();

        /** MQTT over secure WebSocket port, opened only when a certificate is configured. */
        @WithDefault("8084")
        int wssPort();

        @WithDefault("/mqtt")
        String wsPath();

        Tls tls();

        Limits limits();

        /** Most Topic Aliases a client may use towards the broker (5.0 Topic Alias Maximum); 0 disables them. */
        @WithDefault("32")
        int topicAliasMaximum();

        /** Time a socket may stay open without sending CONNECT. */
        @WithDefault("10s")
        Duration connectTimeout();

        /** Largest keep alive the broker accepts, in seconds; 5.0 clients asking for more (or 0) are told this value. */
        @WithDefault("65535")
        int maxKeepAlive();
    }

    interface Tls {
        /** PEM certificate chain. */
        Optional<String> certFile();

        /** PEM private key (PKCS#8). */
        Optional<String> keyFile();

        /** PKCS#12 or JKS key store, instead of PEM files. */
        Optional<String> keyStore();

        Optional<String> keyStorePassword();

        /**
         * Whether TLS and WSS clients are asked for a certificate: {@code none}, {@code want} (optional; one that is
         * presented must be valid) or {@code require}. {@code want} and {@code require} need {@code trust-file}.
         */
        @WithDefault("none")
        String clientAuth();

        /** CA certificates client certificates must chain to: a PEM bundle, or a PKCS#12 / JKS trust store. */
        Optional<String> trustFile();

        /** Password of a PKCS#12 / JKS {@code trust-file}. */
        Optional<String> trustFilePassword();
    }

    interface Limits {
        /** Most concurrent MQTT connections; further CONNECTs get Server unavailable (3.x) or Quota exceeded (5.0). */
        @WithDefault("200000")
        int maxConnections();

        /** Largest packet the broker accepts, in bytes (advertised as 5.0 Maximum Packet Size). */
        @WithDefault("1048576")
        int maxPacketSize();

        /** Most QoS 1/2 messages queued per session beyond the inflight window; newer ones are dropped. */
        @WithDefault("1000")
        int maxQueuedMessages();

        /** Most unacknowledged outgoing QoS 1/2 messages per client; also the broker's 5.0 Receive Maximum. */
        @WithDefault("32")
        int maxInflight();

        @WithDefault("65535")
        int maxClientIdLength();

        /** Most levels in a topic name or filter. */
        @WithDefault("128")
        int maxTopicLevels();
    }

    interface Session {
        /** Upper bound, in seconds, on a 5.0 Session Expiry Interval; also the lifetime of a 3.x persistent session. */
        @WithDefault("4294967295")
        long maxExpiryInterval();
    }

    interface Security {
        /**
         * Accept clients that present no password and that no authentication provider accepted; they are still
         * subject to the ACL. Off by default.
         */
        @WithDefault("false")
        boolean allowAnonymous();

        /**
         * The authentication providers asked on CONNECT, in order: {@code devices} (the device registry),
         * {@code keycloak} (device access tokens of a Keycloak realm), {@code plugins} (plugin authenticators). The first that accepts or denies decides.
         */
        @WithDefault("devices,keycloak,plugins")
        List<String> authChain();

        Devices devices();

        BruteForce bruteForce();

        /** YAML file of topic ACL rules; without one every client may publish (but to $SYS/) and subscribe. */
        Optional<String> aclFile();

        /**
         * {@code allow} or {@code deny}: what applies when no rule matches and the ACL file sets no {@code default:}.
         * Unset: deny with an ACL file, allow without one. {@code deny} without a file denies everything.
         */
        Optional<String> aclDefault();

        /** How often the ACL file's modification time and size are checked for a reload; 0 disables reloading. */
        @WithDefault("1s")
        Duration aclReloadInterval();

        /** Most ACL decisions (client, action, topic, QoS) kept in memory; the cache is cleared on every reload. */
        @WithDefault("10000")
        int aclCacheSize();

        /** Most ACL rules made through the admin API (each one is tried on every uncached decision). */
        @WithDefault("1000")
        int aclApiMaxRules();

        /**
         * What a 3.1 / 3.1.1 client that publishes where it may not gets, having no negative acknowledgement:
         * {@code drop} (acknowledged as usual, message discarded) or {@code disconnect} (the connection is closed).
         */
        @WithDefault("drop")
        String aclDenyActionV3();

        /**
         * Which part of a verified client certificate becomes the client's username for authentication and ACLs:
         * {@code none}, {@code cn} (subject common name) or {@code san} (first DNS, e-mail or URI subject
         * alternative name).
         */
        @WithDefault("none")
        String certificateIdentity();

        /**
         * The local {@code admin} account of the admin API (HTTP Basic): {@code auto} has it when no Keycloak is
         * configured ({@code quarkus.oidc.auth-server-url}), {@code true} also with Keycloak, {@code false} never.
         */
        @WithDefault("auto")
        String localAdmin();

        /**
         * Password of the local {@code admin} account. Unset: one is generated when the account is created and
         * printed once to the log. Set: it replaces the stored one at startup when they differ.
         */
        Optional<String> adminPassword();

        /** Password of a local read-only {@code viewer} account (role conduit-viewer); unset: no such account. */
        Optional<String> viewerPassword();

        /** Devices' Keycloak access tokens as MQTT passwords. */
        Keycloak keycloak();
    }

    interface Keycloak {
        /** Realm URL that device tokens must name as issuer, e.g. http://keycloak:8080/realms/conduit; unset: off. */
        Optional<String> issuer();

        /** Where the realm's signing keys are; default {@code <issuer>/protocol/openid-connect/certs}. */
        Optional<String> jwksUrl();

        /** What a device token's {@code aud} must contain. */
        @WithDefault("conduit-mqtt")
        String audience();

        /** Claim with the device's ACL groups; {@code /} reaches into objects ({@code realm_access/roles}). */
        @WithDefault("groups")
        String groupsClaim();

        /** How far past its expiry a token is still taken (clocks differ). */
        @WithDefault("30s")
        Duration clockSkew();

        /** How long fetched signing keys are used before they are fetched again (an unknown key id fetches at once). */
        @WithDefault("10m")
        Duration jwksRefresh();
    }

    interface Devices {
        /** bcrypt cost (log2 of the rounds) of new device passwords. */
        @WithDefault("10")
        int bcryptCost();

        /** PBKDF2 iterations of the SCRAM-SHA-256 credentials derived from new passwords (RFC 7677: 4096 or more). */
        @WithDefault("4096")
        int scramIterations();

        /** How long a successful password check is remembered, so that reconnects do not pay bcrypt; 0 disables. */
        @WithDefault("5m")
        Duration authCacheTtl();

        /** Most remembered password checks. */
        @WithDefault("10000")
        int authCacheSize();

        /** Threads that look devices up and check passwords (bcrypt), off the network threads. */
        @WithDefault("2")
        int authThreads();

        /** Most CONNECTs waiting for those threads; beyond it CONNACK 0x89 Server busy (3.x: 3). */
        @WithDefault("1000")
        int authQueue();

        /** How often the last-seen times of connected devices are written, all in one transaction. */
        @WithDefault("10s")
        Duration lastSeenInterval();
    }

    interface BruteForce {
        /** Delay of the refusing CONNACK after the first failed authentication of a client id or address; 0 disables. */
        @WithDefault("500ms")
        Duration initialDelay();

        /** The delay doubles with every further failure up to this. */
        @WithDefault("10s")
        Duration maxDelay();

        /** A client id or address without failures for this long starts again from no delay. */
        @WithDefault("15m")
        Duration forgetAfter();

        /** Most client ids and addresses whose failures are counted (the least recent are forgotten first). */
        @WithDefault("100000")
        int maxTracked();
    }

    interface Persistence {
        /**
         * Where durable state lives: {@code auto} uses PostgreSQL when a datasource URL is configured and memory
         * otherwise; {@code memory} never touches a database.
         */
        @WithDefault("auto")
        String store();

        /**
         * Acknowledge a QoS 1/2 message (PUBACK / PUBREC) only once the write that makes it durable has committed.
         * false acknowledges at once and accepts losing the last uncommitted batch on a crash.
         */
        @WithDefault("true")
        boolean durableAck();

        /** Most writes waiting for the database; publishers are paused above 80% of it. */
        @WithDefault("100000")
        int writeQueueCapacity();

        /** Most writes committed in one transaction. */
        @WithDefault("2000")
        int maxBatch();

        /** Outgoing messages of one offline session kept on the heap; the rest wait in the database. */
        @WithDefault("1000")
        int memoryWindow();
    }

    interface Plugins {
        /** Where plugin jars (or folders of jars) are loaded from; new and changed jars are picked up while running. */
        @WithDefault("plugins")
        String dir();

        /** Watch the directory and load, reload or unload plugins as jars appear, change or go. */
        @WithDefault("true")
        boolean watch();

        /** Longest a hook may take before the fallback decision applies. */
        @WithDefault("2s")
        Duration callTimeout();

        /**
         * What a hook that throws or times out decides: {@code deny} refuses the connection, publish or subscription
         * (safe for security plugins); {@code next} ignores the failing plugin.
         */
        @WithDefault("deny")
        String onFailure();

        /** Threads per plugin for its hook calls; a plugin that blocks them only slows itself. */
        @WithDefault("4")
        int threads();
    }

    interface Sys {
        /** Interval between $SYS/broker/... publications; 0 disables them. */
        @WithDefault("10s")
        Duration interval();
    }
}
