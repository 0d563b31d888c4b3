package io.conduit.plugin;

import io.conduit.example.topicguard.TopicGuardPlugin;
import io.conduit.mqtt.MqttServer;
import io.conduit.testing.PluginJars;
import io.conduit.testing.RawMqttClient;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.conduit.testing.AdminApi.admin;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Plugins loaded into a running gateway from its plugins directory: their hooks act on real MQTT clients, they can
 * be disabled, enabled and removed at runtime, faults stay inside the plugin, and each plugin has its own libraries.
 */
@QuarkusTest
@TestProfile(PluginsProfile.class)
class PluginHostTest {

    private static final Duration LOAD = Duration.ofSeconds(20);

    @Inject
    MqttServer server;

    @AfterEach
    void removePlugins() throws Exception {
        try (var files = Files.list(PluginsProfile.DIR)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".jar")).toList()) {
                Files.delete(p);
            }
        }
        await().atMost(LOAD).until(() -> admin().get("/api/v1/plugins").jsonPath().getList("$").isEmpty());
    }

    @Test
    void droppedJarHooksActOnClients() throws Exception {
        drop("guard", 50, Map.of("test.Guard", """
                package test;
                import io.conduit.api.*;
                import io.conduit.api.hooks.*;
                import io.conduit.api.mqtt.*;
                import java.util.concurrent.*;
                public class Guard implements Plugin, Authorizer, Authenticator, ConnectionListener {
                    private PluginContext ctx;
                    public void start(PluginContext ctx) {
                        this.ctx = ctx;
                        ctx.addAuthorizer(this);
                        ctx.addAuthenticator(this);
                        ctx.addConnectionListener(this);
                    }
                    public CompletionStage<Decision> authorizePublish(ClientInfo c, String topic, int qos, boolean r) {
                        return CompletableFuture.completedFuture(topic.startsWith("plug/denied/")
                                ? Decision.deny("denied by test") : Decision.next());
                    }
                    public CompletionStage<Decision> authorizeSubscribe(ClientInfo c, String filter, int qos) {
                        return CompletableFuture.completedFuture(filter.startsWith("plug/denied/")
                                ? Decision.deny("denied by test") : Decision.next());
                    }
                    public CompletionStage<AuthDecision> authenticate(AuthInput in) {
                        return CompletableFuture.completedFuture(in.client().username().filter("banned"::equals)
                                .isPresent() ? AuthDecision.deny(0x86, "banned") : AuthDecision.next());
                    }
                    public void onConnect(ClientInfo c, boolean present) {
                        if (c.clientId().startsWith("plug-greet")) {
                            ctx.publisher().publish(PublishPacket.builder().topic("plug/events/connect")
                                    .payload("hello " + c.clientId()).qos(1).build());
                        }
                    }
                }
                """));
        try (RawMqttClient sub = v5("plug-guard-sub"); RawMqttClient pub = v5("plug-guard-pub")) {
            MqttSubAckMessage refused = sub.subscribe(1, "plug/denied/x", 1);
            assertEquals(0x87, refused.payload().reasonCodes().get(0));
            sub.subscribe(2, "plug/events/connect", 1);

            pub.publish("plug/denied/x", "no", 1, false, 1, null);
            assertEquals(0x87, RawMqttClient.reasonCode(pub.expect(MqttMessageType.PUBACK)));
            pub.publish("plug/events/connect", "plain", 1, false, 2, null);
            assertEquals(0x00, RawMqttClient.reasonCode(pub.expect(MqttMessageType.PUBACK)));
            assertEquals("plain", RawMqttClient.payload(ack(sub)));

            // A connection listener using the publisher service.
            try (RawMqttClient greeted = v5("plug-greet-1")) {
                assertEquals("hello plug-greet-1", RawMqttClient.payload(ack(sub)));
            }
        }
        // The authenticator refuses a user name before the broker's own rules are asked.
        try (RawMqttClient banned = RawMqttClient.open(server.tcpPort())) {
            banned.send(MqttMessageBuilders.connect().protocolVersion(MqttVersion.MQTT_5).clientId("plug-banned")
                    .cleanSession(true).hasUser(true).username("banned").build());
            MqttConnAckMessage ack = banned.expect(MqttMessageType.CONNACK);
            assertEquals(0x86, ack.variableHeader().connectReturnCode().byteValue() & 0xFF);
        }
    }

    @Test
    void disabledPluginStopsActingAndEnabledOneActsAgain() throws Exception {
        drop("toggle", 10, Map.of("test.Toggle", """
                package test;
                import io.conduit.api.*;
                import io.conduit.api.hooks.*;
                import io.conduit.api.mqtt.*;
                import java.util.concurrent.*;
                public class Toggle implements Plugin, Authorizer {
                    public void start(PluginContext ctx) { ctx.addAuthorizer(this); }
                    public CompletionStage<Decision> authorizePublish(ClientInfo c, String topic, int qos, boolean r) {
                        return CompletableFuture.completedFuture(topic.startsWith("plug/toggle/")
                                ? Decision.deny("toggled") : Decision.next());
                    }
                }
                """));
        try (RawMqttClient pub = v5("plug-toggle-pub")) {
            assertEquals(0x87, publishQos1(pub, "plug/toggle/a", 1));
            admin().post("/api/v1/plugins/toggle/disable").then().statusCode(200).body("state", equalTo("disabled"));
            assertEquals(0x10, publishQos1(pub, "plug/toggle/a", 2), "no plugin decides: routed, nobody listening");
            admin().post("/api/v1/plugins/toggle/enable").then().statusCode(200).body("state", equalTo("started"));
            assertEquals(0x87, publishQos1(pub, "plug/toggle/a", 3));
        }
        admin().post("/api/v1/plugins/nope/disable").then().statusCode(404);
    }

    @Test
    void throwingOrHangingPluginIsContained() throws Exception {
        drop("faulty", 10, Map.of("test.Faulty", """
                package test;
                import io.conduit.api.*;
                import io.conduit.api.hooks.*;
                import io.conduit.api.mqtt.*;
                import java.util.concurrent.*;
                public class Faulty implements Plugin, PublishInterceptor {
                    public void start(PluginContext ctx) { ctx.addPublishInterceptor(this); }
                    public CompletionStage<PublishAction> onPublish(ClientInfo c, PublishPacket p) {
                        if (p.topic().startsWith("plug/throw/")) throw new IllegalStateException("boom");
                        if (p.topic().startsWith("plug/hang/")) {
                            try { Thread.sleep(5000); } catch (InterruptedException e) { }
                        }
                        return CompletableFuture.completedFuture(PublishAction.proceed(p));
                    }
                }
                """));
        try (RawMqttClient pub = v5("plug-faulty-pub"); RawMqttClient other = v5("plug-faulty-other");
             RawMqttClient sub = v5("plug-faulty-sub")) {
            sub.subscribe(1, "plug/fine/#", 1);
            // on-failure=deny (default): the failing plugin's message is refused, not let through unchecked.
            assertEquals(0x80, publishQos1(pub, "plug/throw/a", 1));
            long start = System.nanoTime();
            pub.publish("plug/hang/a", "slow", 1, false, 2, null);
            // While that hook hangs, another client is served.
            assertEquals(0x00, publishQos1(other, "plug/fine/b", 1));
            assertEquals("plug/fine/b", ack(sub).variableHeader().topicName());
            assertEquals(0x80, RawMqttClient.reasonCode(pub.expect(MqttMessageType.PUBACK)));
            assertTrue(System.nanoTime() - start < 4_000_000_000L, "the 500 ms limit applied, not the 5 s sleep");
            // The same client goes on normally after the failures.
            assertEquals(0x00, publishQos1(pub, "plug/fine/c", 3));
        }
        admin().get("/api/v1/plugins/faulty").then().statusCode(200)
                .body("errors", greaterThanOrEqualTo(1)).body("timeouts", greaterThanOrEqualTo(1));
    }

    @Test
    void pluginsBundlingDifferentVersionsOfALibraryEachUseTheirOwn() throws Exception {
        for (String version : List.of("1", "2")) {
            drop("lib-v" + version, 10, Map.of(
                    "shared.lib.Version", "package shared.lib; public class Version { public static String value() "
                            + "{ return \"" + version + "\"; } }",
                    "test.Tag" + version, """
                    package test;
                    import io.conduit.api.*;
                    import io.conduit.api.hooks.*;
                    import io.conduit.api.mqtt.*;
                    import java.util.concurrent.*;
                    public class TagV implements Plugin, PublishInterceptor {
                        private String id;
                        public void start(PluginContext ctx) {
                            id = ctx.descriptor().id();
                            ctx.addPublishInterceptor(this);
                        }
                        public CompletionStage<PublishAction> onPublish(ClientInfo c, PublishPacket p) {
                            return CompletableFuture.completedFuture(PublishAction.proceed(p.toBuilder()
                                    .userProperty(id, shared.lib.Version.value()).build()));
                        }
                    }
                    """.replace("TagV", "Tag" + version)), "test.Tag" + version);
        }
        try (RawMqttClient sub = v5("plug-lib-sub"); RawMqttClient pub = v5("plug-lib-pub")) {
            sub.subscribe(1, "plug/lib/#", 1);
            assertEquals(0x00, publishQos1(pub, "plug/lib/x", 1));
            Map<String, String> props = userProperties(ack(sub));
            assertEquals("1", props.get("lib-v1"));
            assertEquals("2", props.get("lib-v2"));
        }
    }

    @Test
    void examplePluginJarGuardsAndRewritesTopics() throws Exception {
        // The example module's own build output, packed as a plugin author would ship it.
        PluginJars.pack(PluginJars.locationOf(TopicGuardPlugin.class), PluginsProfile.DIR.resolve("topic-guard.jar"));
        awaitStarted("topic-guard");
        try (RawMqttClient sub = v5("plug-example-sub"); RawMqttClient pub = v5("plug-example-pub")) {
            assertEquals(0x87, sub.subscribe(1, "forbidden/#", 1).payload().reasonCodes().get(0));
            assertEquals(0x87, sub.subscribe(2, "#", 1).payload().reasonCodes().get(0), "a wildcard reaching it too");
            sub.subscribe(3, "devices/#", 1);
            assertEquals(0x87, publishQos1(pub, "forbidden/x", 1));
            assertEquals(0x00, publishQos1(pub, "legacy/meter/7", 2));
            MqttPublishMessage moved = ack(sub);
            assertEquals("devices/meter/7", moved.variableHeader().topicName());
            assertEquals("legacy/meter/7", userProperties(moved).get("rewritten-from"));
        }
        given().get("/metrics").then().statusCode(404);
        String metrics = given().get("/q/metrics").asString();
        assertTrue(metrics.contains("conduit_plugin_topic_guard_refusals_total{plugin=\"topic-guard\"}"), metrics);
    }

    @Test
    void removingTheJarUnloadsThePlugin() throws Exception {
        Path jar = drop("gone", 10, Map.of("test.Gone", """
                package test;
                import io.conduit.api.*;
                import io.conduit.api.hooks.*;
                import io.conduit.api.mqtt.*;
                import java.util.concurrent.*;
                public class Gone implements Plugin, Authorizer {
                    public void start(PluginContext ctx) { ctx.addAuthorizer(this); }
                    public CompletionStage<Decision> authorizePublish(ClientInfo c, String topic, int qos, boolean r) {
                        return CompletableFuture.completedFuture(Decision.deny("gone plugin"));
                    }
                }
                """));
        try (RawMqttClient pub = v5("plug-gone-pub")) {
            assertEquals(0x87, publishQos1(pub, "plug/gone/a", 1));
            Files.delete(jar);
            await().atMost(LOAD).until(() -> admin().get("/api/v1/plugins/gone").statusCode() == 404);
            assertEquals(0x10, publishQos1(pub, "plug/gone/a", 2));
        }
    }

    private Path drop(String id, int priority, Map<String, String> sources) throws Exception {
        String main = sources.keySet().stream().filter(n -> n.startsWith("test.")).findFirst().orElseThrow();
        return drop(id, priority, sources, main);
    }

    private Path drop(String id, int priority, Map<String, String> sources, String main) throws Exception {
        Path jar = PluginJars.build(PluginsProfile.DIR, "id=" + id + "\nname=" + id + "\nversion=1\nmain=" + main
                + "\npriority=" + priority + "\napi-version=1.0\n", new HashMap<>(sources));
        awaitStarted(id);
        return jar;
    }

    private static void awaitStarted(String id) {
        await().atMost(LOAD).until(() -> {
            var r = admin().get("/api/v1/plugins/" + id);
            return r.statusCode() == 200 && "started".equals(r.jsonPath().getString("state"));
        });
    }

    private RawMqttClient v5(String clientId) throws InterruptedException {
        return RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, clientId, true, null);
    }

    private static int publishQos1(RawMqttClient c, String topic, int packetId) {
        c.publish(topic, "m", 1, false, packetId, null);
        return RawMqttClient.reasonCode(c.expect(MqttMessageType.PUBACK));
    }

    /** The next PUBLISH, acknowledged. */
    private static MqttPublishMessage ack(RawMqttClient sub) {
        MqttPublishMessage p = sub.expect(MqttMessageType.PUBLISH);
        if (p.fixedHeader().qosLevel().value() == 1) {
            sub.ack(MqttMessageType.PUBACK, p.variableHeader().packetId());
        }
        return p;
    }

    private static Map<String, String> userProperties(MqttPublishMessage p) {
        Map<String, String> out = new HashMap<>();
        for (MqttProperties.MqttProperty<?> prop : p.variableHeader().properties()
                .getProperties(MqttProperties.MqttPropertyType.USER_PROPERTY.value())) {
            if (prop instanceof MqttProperties.UserProperty u) {
                out.put(u.value().key, u.value().value);
            } else if (prop instanceof MqttProperties.UserProperties us) {
                us.value().forEach(pair -> out.put(pair.key, pair.value));
            }
        }
        return out;
    }
}
