package io.conduit.admin;

import io.conduit.testing.AdminApi;
import io.conduit.testing.KeycloakProfile;
import io.conduit.testing.KeycloakServer;
import io.conduit.testing.Sql;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin API against a real Keycloak (realm {@code conduit}: users admin / viewer with the realm roles
 * conduit-admin / conduit-viewer) and, at the same time, the local admin account stored in PostgreSQL.
 */
@QuarkusTest
@TestProfile(KeycloakProfile.class)
class AdminApiSecurityTest {

    static final String READ = "/api/v1/plugins";
    static final String WRITE = "/api/v1/plugins/none/disable";

    static String token(String user) {
        return KeycloakServer.get().token("conduit-cli", user, user);
    }

    @Test
    void withoutCredentialsEveryAdminEndpointIs401() {
        given().get(READ).then().statusCode(401);
        given().get("/api/v1/acl").then().statusCode(401);
        given().get("/api/v1/acl/explain").then().statusCode(401);
        given().post(WRITE).then().statusCode(401);
        given().delete("/api/v1/plugins/none").then().statusCode(401);
        given().auth().oauth2("not-a-token").get(READ).then().statusCode(401);
    }

    @Test
    void healthMetricsAndThePageStayOpen() {
        given().get("/q/health").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(200);
        given().get("/").then().statusCode(200);
    }

    @Test
    void viewerReadsButMayNotChange() {
        String viewer = token("viewer");
        given().auth().oauth2(viewer).get(READ).then().statusCode(200);
        given().auth().oauth2(viewer).get("/api/v1/acl").then().statusCode(200);
        given().auth().oauth2(viewer).post(WRITE).then().statusCode(403)
                .contentType(containsString("json"))
                .body("error", equalTo(
                        "'viewer' (roles [conduit-viewer]) may not do this: it needs the role conduit-admin"));
        given().auth().oauth2(viewer).delete("/api/v1/plugins/none").then().statusCode(403);
    }

    @Test
    void adminReadsAndChanges() {
        String admin = token("admin");
        given().auth().oauth2(admin).get(READ).then().statusCode(200);
        // Past the role check: the plugin does not exist.
        given().auth().oauth2(admin).post(WRITE).then().statusCode(404).body("error", equalTo("no plugin none"));
    }

    @Test
    void tokenOfAnotherRealmIs401() {
        given().auth().oauth2(KeycloakServer.get().masterRealmToken()).get(READ).then().statusCode(401);
    }

    @Test
    void tamperedTokenIs401() {
        String[] parts = token("viewer").split("\\.");
        String claims = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                .replace("conduit-viewer", "conduit-admin");
        String forged = parts[0] + "." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(claims.getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
        given().auth().oauth2(forged).post(WRITE).then().statusCode(401);
    }

    @Test
    void expiredTokenIs401() throws Exception {
        // conduit-short-lived issues tokens valid for 5 s; the gateway allows no clock skew (KeycloakResource).
        String shortLived = KeycloakServer.get().token("conduit-short-lived", "admin", "admin");
        given().auth().oauth2(shortLived).get(READ).then().statusCode(200);
        long exp = Long.parseLong(new String(Base64.getUrlDecoder().decode(shortLived.split("\\.")[1]),
                StandardCharsets.UTF_8).replaceAll(".*\"exp\":(\\d+).*", "$1"));
        Thread.sleep(Math.max(0, exp * 1000 - System.currentTimeMillis()) + 1500);
        given().auth().oauth2(shortLived).get(READ).then().statusCode(401);
    }

    @Test
    void localAdminWorksBesideKeycloakAndIsStoredHashed() throws Exception {
        AdminApi.admin().post(WRITE).then().statusCode(404);
        // Keycloak's admin password is not a local one.
        given().auth().preemptive().basic("admin", "admin").get(READ).then().statusCode(401);
        String hash = (String) Sql.row("SELECT password_hash FROM admin_users WHERE username = 'admin'")
                .get("password_hash");
        assertTrue(hash.startsWith("$2"), hash);
        assertFalse(hash.contains(AdminApi.PASSWORD));
    }
}
