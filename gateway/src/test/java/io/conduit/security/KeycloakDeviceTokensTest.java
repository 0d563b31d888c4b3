package io.conduit.security;

import io.conduit.security.KeycloakDeviceTokens.Accepted;
import io.conduit.security.KeycloakDeviceTokens.Decision;
import io.conduit.security.KeycloakDeviceTokens.Denied;
import io.conduit.security.KeycloakDeviceTokens.NotAToken;
import io.conduit.mqtt.MqttServer;
import io.conduit.testing.KeycloakProfile;
import io.conduit.testing.KeycloakServer;
import io.conduit.testing.RawMqttClient;
import io.conduit.testing.Wire;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.jose4j.jwk.RsaJwkGenerator;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwx.CompactSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Devices with tokens from the test run's Keycloak (realm conduit, client conduit-devices: audience conduit-mqtt,
 * groups claim) as their MQTT password: checked against the realm's published keys, the decision and its reason, and
 * what 3.1.1 and 5.0 clients get at CONNECT.
 */
@QuarkusTest
@TestProfile(KeycloakProfile.class)
class KeycloakDeviceTokensTest {

    static final KeycloakServer keycloak = KeycloakServer.get();

    @Inject
    KeycloakDeviceAuth tokens;

    @Inject
    MqttServer server;

    Decision check(String username, String password) throws Exception {
        return tokens.check(username, password.getBytes(StandardCharsets.US_ASCII)).toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
    }

    /** The CONNACK code a client gets with this username and password. */
    int connect(MqttVersion v, String username, String password) throws Exception {
        try (RawMqttClient c = RawMqttClient.open(server.tcpPort())) {
            c.send(Wire.connect(v, "dev-" + System.nanoTime(), true, 60, null)
                    .hasUser(true).username(username)
                    .hasPassword(true).password(password.getBytes(StandardCharsets.US_ASCII)).build());
            MqttConnAckMessage ack = c.expect(MqttMessageType.CONNACK);
            return ack.variableHeader().connectReturnCode().byteValue() & 0xFF;
        }
    }

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void devicesConnectWithAValidTokenOnly(MqttVersion v) throws Exception {
        int refused = v == MqttVersion.MQTT_5 ? 0x86 : 0x04;
        String token = keycloak.deviceToken("device-1", "device-1-secret");
        assertEquals(0, connect(v, "device-1", token));
        assertEquals(refused, connect(v, "device-2", token));
        assertEquals(refused, connect(v, "device-1", keycloak.token("conduit-cli", "admin", "admin")));
        assertEquals(refused, connect(v, "device-1", forged(token)));
    }

    @Test
    void validTokenGivesTheDeviceAndItsGroups() throws Exception {
        String token = keycloak.deviceToken("device-1", "device-1-secret");
        assertEquals(new Accepted("device-1", List.of("sensors")), check(null, token));
        assertEquals(new Accepted("device-1", List.of("sensors")), check("device-1", token));
    }

    @Test
    void anotherUsernameThanTheTokensIsRefused() throws Exception {
        Decision d = check("device-2", keycloak.deviceToken("device-1", "device-1-secret"));
        assertEquals(new Denied(0x86, "username does not match the token"), d);
    }

    @Test
    void tokenForAnotherAudienceIsRefused() throws Exception {
        // conduit-cli tokens are for the admin API; they carry no conduit-mqtt audience.
        Decision d = check(null, keycloak.token("conduit-cli", "admin", "admin"));
        assertEquals(new Denied(0x86, "token not meant for this broker (audience)"), d);
    }

    @Test
    void tokenOfAnotherRealmIsRefused() throws Exception {
        assertInstanceOf(Denied.class, check(null, keycloak.masterRealmToken()));
    }

    @Test
    void expiredTokenIsRefused() throws Exception {
        String token = keycloak.token("conduit-short-lived", "device-1", "device-1-secret");
        assertInstanceOf(Accepted.class, check(null, token));
        long exp = Long.parseLong(claims(token).replaceAll(".*\"exp\":(\\d+).*", "$1"));
        Thread.sleep(Math.max(0, exp * 1000 - System.currentTimeMillis()) + 1500);
        assertEquals(new Denied(0x86, "token expired"), check(null, token));
        assertEquals(0x86, connect(MqttVersion.MQTT_5, "device-1", token));
        assertEquals(0x04, connect(MqttVersion.MQTT_3_1_1, "device-1", token));
    }

    @Test
    void tokenSignedWithAnotherKeyIsRefused() throws Exception {
        String genuine = keycloak.deviceToken("device-1", "device-1-secret");
        String forged = forged(genuine);
        assertNotEquals(genuine, forged);
        assertEquals(new Denied(0x86, "token signature invalid"), check(null, forged));
        // And a token whose claims were edited after signing.
        String[] parts = CompactSerializer.deserialize(genuine);
        String edited = parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
                claims(genuine).replace("sensors", "admins").getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
        assertEquals(new Denied(0x86, "token signature invalid"), check(null, edited));
    }

    @Test
    void otherPasswordsAreNotTokens() throws Exception {
        assertInstanceOf(NotAToken.class, check("device-1", "device-1-secret"));
        assertInstanceOf(NotAToken.class, check("device-1", "a.b.c"));
        assertInstanceOf(NotAToken.class, check("device-1", ""));
    }

    /** The same claims and key id, signed with a key of our own. */
    private static String forged(String genuine) throws Exception {
        String header = new String(Base64.getUrlDecoder().decode(genuine.split("\\.")[0]), StandardCharsets.UTF_8);
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims(genuine));
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
        jws.setKeyIdHeaderValue(header.replaceAll(".*\"kid\"\\s*:\\s*\"([^\"]+)\".*", "$1"));
        jws.setKey(RsaJwkGenerator.generateJwk(2048).getPrivateKey());
        return jws.getCompactSerialization();
    }

    private static String claims(String token) {
        return new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8);
    }
}
