package io.conduit.admin;

import io.agroal.api.AgroalDataSource;
import io.conduit.config.ConduitConfig;
import io.conduit.persistence.StoreProducers;
import io.quarkus.elytron.security.common.BcryptUtil;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The local accounts of the admin API, for installations without Keycloak: the {@code admin} account, created at
 * first start, and optionally a read-only {@code viewer} defined by its configured password. Only bcrypt hashes of
 * the admin password are kept: in PostgreSQL ({@code admin_users}) when the broker stores its state there, so the
 * password survives restarts; on the heap otherwise.
 * <p>
 * Every method may block (database, bcrypt): call it off the event loop.
 */
@ApplicationScoped
public class AdminAccounts {

    public static final String ADMIN = "admin";
    public static final String VIEWER = "viewer";
    public static final String ADMIN_ROLE = "conduit-admin";
    public static final String VIEWER_ROLE = "conduit-viewer";

    private static final Logger LOG = Logger.getLogger(AdminAccounts.class);
    /** How long a verified password is remembered, so that a UI sending Basic on every call pays bcrypt rarely. */
    private static final long VERIFIED_TTL_NANOS = 60_000_000_000L;
    private static final SecureRandom RANDOM = new SecureRandom();

    @Inject
    ConduitConfig config;

    @Inject
    StoreProducers stores;

    @Inject
    Instance<AgroalDataSource> dataSource;

    private final Map<String, Account> memory = new ConcurrentHashMap<>();
    private final Map<String, Verified> verified = new ConcurrentHashMap<>();
    private final byte[] cacheKey = randomBytes(32);
    private volatile boolean enabled;
    /**
     * Accounts whose password is in the configuration (admin-password, viewer-password), by user name: that password
     * is right by definition, so it is compared as a keyed digest, without bcrypt.
     */
    private volatile Map<String, Verified> configured = Map.of();

    record Account(String passwordHash, String role) {
    }

    private record Verified(byte[] mac, String role, long expiresAt) {
    }

    void onStart(@Observes StartupEvent event) {
        enabled = switch (config.security().localAdmin()) {
            case "true" -> true;
            case "false" -> false;
            case "auto" -> !keycloakConfigured();
            default -> throw new IllegalArgumentException("conduit.security.local-admin must be auto, true or false, "
                    + "not '" + config.security().localAdmin() + "'");
        };
        if (!enabled) {
            if (keycloakConfigured()) {
                LOG.info("no local admin account: the admin API accepts Keycloak bearer tokens only");
            } else {
                LOG.warn("no local admin account and no Keycloak (quarkus.oidc.auth-server-url): nobody can use the "
                        + "admin API");
            }
            return;
        }
        Optional<String> adminPassword = config.security().adminPassword().filter(p -> !p.isEmpty());
        try {
            createAdmin(adminPassword);
        } catch (SQLException e) {
            throw new IllegalStateException("could not set up the local admin account in PostgreSQL", e);
        }
        Map<String, Verified> known = new HashMap<>();
        adminPassword.ifPresent(p -> known.put(ADMIN, new Verified(mac(ADMIN, p), ADMIN_ROLE, 0)));
        config.security().viewerPassword().filter(p -> !p.isEmpty()).ifPresent(p -> {
            known.put(VIEWER, new Verified(mac(VIEWER, p), VIEWER_ROLE, 0));
            LOG.info("local viewer account 'viewer' (read only) from conduit.security.viewer-password");
        });
        this.configured = Map.copyOf(known);
    }

    /** Whether HTTP Basic with a local account is accepted. */
    public boolean enabled() {
        return enabled;
    }

    /** The role of the account when the password is right; empty otherwise (unknown user, wrong password). */
    public Optional<String> verify(String username, String password) {
        if (!enabled || username == null || password == null) {
            return Optional.empty();
        }
        byte[] mac = mac(username, password);
        Verified known = configured.get(username);
        if (known != null && MessageDigest.isEqual(known.mac, mac)) {
            return Optional.of(known.role);
        }
        Verified v = verified.get(username);
        if (v != null && v.expiresAt - System.nanoTime() > 0 && MessageDigest.isEqual(v.mac, mac)) {
            return Optional.of(v.role);
        }
        Optional<Account> account;
        try {
            account = find(username);
        } catch (SQLException e) {
            LOG.warnf("local account lookup failed: %s", e.getMessage());
            return Optional.empty();
        }
        if (account.isEmpty() || !BcryptUtil.matches(password, account.get().passwordHash())) {
            return Optional.empty();
        }
        verified.put(username, new Verified(mac, account.get().role(), System.nanoTime() + VERIFIED_TTL_NANOS));
        return Optional.of(account.get().role());
    }

    private void createAdmin(Optional<String> configured) throws SQLException {
        boolean database = stores.usesDatabase();
        Optional<Account> existing = database ? find(ADMIN) : Optional.empty();
        if (existing.isPresent()) {
            if (configured.isPresent() && !BcryptUtil.matches(configured.get(), existing.get().passwordHash())) {
                save(ADMIN, BcryptUtil.bcryptHash(configured.get()), true);
                LOG.info("local admin account: password replaced by conduit.security.admin-password");
            } else {
                LOG.info("local admin account 'admin' in the database (its password was shown when it was created, "
                        + "or set by conduit.security.admin-password)");
            }
            return;
        }
        String password = configured.orElseGet(AdminAccounts::generatePassword);
        save(ADMIN, BcryptUtil.bcryptHash(password), false);
        if (configured.isPresent()) {
            LOG.infof("local admin account 'admin' created with the password from conduit.security.admin-password%s",
                    database ? "" : " (kept in memory: no database)");
            return;
        }
        String where = database ? "It is stored hashed in PostgreSQL and not shown again."
                : "No database: the account lives in memory and gets a new password at every start.";
        LOG.warnf("""

                ==================================================================================================
                  Local admin account created for the admin API (HTTP Basic):  user: admin  password: %s
                  %s
                  Set CONDUIT_SECURITY_ADMIN_PASSWORD to choose the password instead.
                ==================================================================================================""",
                password, where);
    }

    private Optional<Account> find(String username) throws SQLException {
        if (!stores.usesDatabase()) {
            return Optional.ofNullable(memory.get(username));
        }
        try (Connection c = dataSource.get().getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "SELECT password_hash, role FROM admin_users WHERE username = ?")) {
            ps.setString(1, username);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Account(rs.getString(1), rs.getString(2))) : Optional.empty();
            }
        }
    }

    private void save(String username, String hash, boolean replace) throws SQLException {
        verified.remove(username);
        if (!stores.usesDatabase()) {
            memory.put(username, new Account(hash, ADMIN_ROLE));
            return;
        }
        // Two gateways sharing a database may start together: the first one's account wins, as on a later start.
        String sql = replace
                ? "UPDATE admin_users SET password_hash = ?, updated_at = now() WHERE username = ?"
                : "INSERT INTO admin_users (password_hash, username, role) VALUES (?, ?, '" + ADMIN_ROLE + "') "
                        + "ON CONFLICT (username) DO NOTHING";
        try (Connection c = dataSource.get().getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, hash);
            ps.setString(2, username);
            ps.executeUpdate();
        }
    }

    static boolean keycloakConfigured() {
        return ConfigProvider.getConfig().getOptionalValue("quarkus.oidc.auth-server-url", String.class)
                .filter(s -> !s.isBlank()).isPresent();
    }

    private static String generatePassword() {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(18));
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    /** A keyed digest of the credentials, so that the cache of verified logins holds no password. */
    private byte[] mac(String username, String password) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(cacheKey, "HmacSHA256"));
            m.update(username.getBytes(StandardCharsets.UTF_8));
            m.update((byte) 0);
            return m.doFinal(password.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
