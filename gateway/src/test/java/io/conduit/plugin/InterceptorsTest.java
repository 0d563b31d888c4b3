package io.conduit.plugin;

import io.conduit.mqtt.MqttServer;
import io.conduit.session.SessionRegistry;
import io.conduit.testing.RawMqttClient;
import io.conduit.testing.V5Packets;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttSubscriptionOption;
import io.netty.handler.codec.mqtt.MqttUnsubAckMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.conduit.testing.AdminApi.admin;
import static io.conduit.plugin.PluginDrops.ack;
import static io.conduit.plugin.PluginDrops.drop;
import static io.conduit.plugin.PluginDrops.publishQos1;
import static io.conduit.plugin.PluginDrops.userProperties;
import static io.conduit.testing.V5Packets.auth;
import static io.conduit.testing.V5Packets.binaryProp;
import static io.conduit.testing.V5Packets.connect;
import static io.conduit.testing.V5Packets.intProp;
import static io.conduit.testing.V5Packets.property;
import static io.conduit.testing.V5Packets.props;
import static io.conduit.testing.V5Packets.returnCode;
import static io.conduit.testing.V5Packets.stringProp;
import static io.conduit.testing.V5Packets.utf8;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.AUTHENTICATION_DATA;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.AUTHENTICATION_METHOD;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.USER_PROPERTY;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hooks of plugins-api 1.1 on real MQTT clients: outbound, subscribe, unsubscribe and connect interceptors,
 * session listeners, enhanced authentication, the subscriptions service, and their fault containment.
 */
@QuarkusTest
@TestProfile(PluginsProfile.class)
class InterceptorsTest {

    private static final String IMPORTS = """
            package test;
            import io.conduit.api.*;
            import io.conduit.api.hooks.*;
            import io.conduit.api.mqtt.*;
            import java.util.*;
            import java.util.concurrent.*;
            """;

    @Inject
    MqttServer server;

    @Inject
    SessionRegistry sessions;

    @AfterEach
    void removePlugins() throws Exception {
        PluginDrops.removeAll();
    }

    @Test
    void outboundInterceptorChangesOrDropsEachSubscribersCopy() throws Exception {
        drop("outbound", 10, Map.of("test.Outbound", IMPORTS + """
                @NonBlocking
                public class Outbound implements Plugin, OutboundPublishInterceptor {
                    public void start(PluginContext ctx) { ctx.addOutboundPublishInterceptor(this); }
                    public CompletionStage<PublishInterceptor.PublishAction> onOutboundPublish(String id,
                            PublishPacket p) {
                        if (id.endsWith("-dropper") && p.topic().endsWith("/secret")) {
                            return CompletableFuture.completedFuture(PublishInterceptor.PublishAction.drop(0x80, null));
                        }
                        if (id.contains("-tagged")) {
                            return CompletableFuture.completedFuture(PublishInterceptor.PublishAction.proceed(
                                    p.toBuilder().payload(p.payloadAsString().toUpperCase())
                                            .userProperty("for", id).build()));
                        }
                        return CompletableFuture.completedFuture(PublishInterceptor.PublishAction.proceed(p));
                    }
                }
                """));
        try (RawMqttClient tagged = v5("plug-out-tagged"); RawMqttClient dropper = v5("plug-out-dropper");
             RawMqttClient pub = v5("plug-out-pub")) {
            tagged.subscribe(1, "plug/out/#", 1);
            dropper.subscribe(1, "plug/out/#", 1);
            assertEquals(0x00, publishQos1(pub, "plug/out/secret", 1));
            assertEquals(0x00, publishQos1(pub, "plug/out/open", 2));

            MqttPublishMessage first = ack(tagged);
            assertEquals("M", RawMqttClient.payload(first), "the tagged subscriber's own copy changed");
            assertEquals("plug-out-tagged", userProperties(first).get("for"));
            assertEquals("plug/out/open", ack(tagged).variableHeader().topicName());

            // The dropper never sees the secret copy, and it took no packet id: the next message is the first.
            MqttPublishMessage open = ack(dropper);
            assertEquals("plug/out/open", open.variableHeader().topicName());
            assertEquals("m", RawMqttClient.payload(open), "other subscribers' copies are not touched");
            assertEquals(1, open.variableHeader().packetId());
            await().atMost(Duration.ofSeconds(5)).until(() -> sessions.get("plug-out-dropper").inflightCount() == 0);
        }
        // A persistent session whose client is offline gets the copy the interceptor made when it was queued.
        MqttProperties expiry = props(intProp(SESSION_EXPIRY_INTERVAL, 300));
        try (RawMqttClient offline = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5,
                "plug-out-tagged-offline", true, expiry)) {
            offline.subscribe(1, "plug/out/#", 1);
        }
        try (RawMqttClient pub = v5("plug-out-pub2")) {
            assertEquals(0x00, publishQos1(pub, "plug/out/queued", 1));
        }
        try (RawMqttClient back = RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5,
                "plug-out-tagged-offline", false, expiry)) {
            assertEquals("M", RawMqttClient.payload(ack(back)));
        }
    }

    @Test
    void subscribeAndUnsubscribeInterceptorsChangeAndRefuseFilters() throws Exception {
        drop("subs", 10, Map.of("test.Subs", IMPORTS + """
                public class Subs implements Plugin, SubscribeInterceptor, UnsubscribeInterceptor {
                    public void start(PluginContext ctx) {
                        ctx.addSubscribeInterceptor(this);
                        ctx.addUnsubscribeInterceptor(this);
                    }
                    public CompletionStage<SubscribeAction> onSubscribe(ClientInfo c, SubscriptionView s) {
                        if (s.topicFilter().startsWith("plug/sub/quota/")) {
                            return CompletableFuture.completedFuture(SubscribeAction.refuse(0x97, "too many"));
                        }
                        if (s.topicFilter().startsWith("plug/sub/old/")) {
                            return CompletableFuture.completedFuture(SubscribeAction.proceed(
                                    s.withTopicFilter("plug/sub/new/#").withQos(0)));
                        }
                        return CompletableFuture.completedFuture(SubscribeAction.proceed(s));
                    }
                    public CompletionStage<Decision> onUnsubscribe(ClientInfo c, String filter) {
                        return CompletableFuture.completedFuture(filter.equals("plug/sub/keep")
                                ? Decision.deny(0x87, "managed by a plugin") : Decision.next());
                    }
                }
                """));
        try (RawMqttClient sub = v5("plug-subs-sub"); RawMqttClient pub = v5("plug-subs-pub")) {
            sub.send(MqttMessageBuilders.subscribe().messageId(1)
                    .addSubscription("plug/sub/old/#", MqttSubscriptionOption.onlyFromQos(MqttQoS.AT_LEAST_ONCE))
                    .addSubscription("plug/sub/quota/#", MqttSubscriptionOption.onlyFromQos(MqttQoS.AT_LEAST_ONCE))
                    .addSubscription("plug/sub/keep", MqttSubscriptionOption.onlyFromQos(MqttQoS.AT_LEAST_ONCE))
                    .build());
            MqttSubAckMessage subAck = sub.expect(MqttMessageType.SUBACK);
            assertEquals(List.of(0x00, 0x97, 0x01), subAck.payload().reasonCodes(), "QoS lowered, refused, granted");

            publishQos1(pub, "plug/sub/new/x", 1);
            MqttPublishMessage moved = sub.expect(MqttMessageType.PUBLISH);
            assertEquals("plug/sub/new/x", moved.variableHeader().topicName());
            assertEquals(0, moved.fixedHeader().qosLevel().value());
            assertEquals(0x10, publishQos1(pub, "plug/sub/old/x", 2), "the asked-for filter was not subscribed");

            sub.send(MqttMessageBuilders.unsubscribe().messageId(2).addTopicFilter("plug/sub/keep")
                    .addTopicFilter("plug/sub/new/#").build());
            MqttUnsubAckMessage unsubAck = sub.expect(MqttMessageType.UNSUBACK);
            assertEquals(List.of((short) 0x87, (short) 0x00), unsubAck.payload().unsubscribeReasonCodes());
            assertEquals(0x00, publishQos1(pub, "plug/sub/keep", 3), "the kept subscription still receives");
            assertEquals("plug/sub/keep", ack(sub).variableHeader().topicName());
        }
    }

    @Test
    void connectInterceptorRefusesOrChangesTheSession() throws Exception {
        drop("connect", 10, Map.of("test.Conn", IMPORTS + """
                public class Conn implements Plugin, ConnectInterceptor, ConnectionListener {
                    private PluginContext ctx;
                    public void start(PluginContext ctx) {
                        this.ctx = ctx;
                        ctx.addConnectInterceptor(this);
                        ctx.addConnectionListener(this);
                    }
                    public CompletionStage<ConnectAction> onConnect(ConnectPacket c) {
                        if (c.client().clientId().equals("plug-conn-banned")) {
                            return CompletableFuture.completedFuture(ConnectAction.refuse(0x8A, "banned"));
                        }
                        List<Map.Entry<String, String>> props = new ArrayList<>(c.userProperties());
                        props.add(Map.entry("tenant", "t1"));
                        return CompletableFuture.completedFuture(ConnectAction.proceed(
                                c.withSessionExpiryInterval(10).withUserProperties(props)));
                    }
                    public void onConnect(ClientInfo c, boolean present) {
                        if (c.clientId().equals("plug-conn-ok")) {
                            ConnectPacket data = ctx.clients().connectData(c.clientId()).orElseThrow();
                            ctx.publisher().publish(PublishPacket.builder().topic("plug/conn/info")
                                    .payload(data.userProperties().toString()).qos(1).build());
                        }
                    }
                }
                """));
        try (RawMqttClient banned = V5Packets.send(server.tcpPort(),
                connect(MqttVersion.MQTT_5, "plug-conn-banned", true, 60, null))) {
            assertEquals(0x8A, returnCode(banned.expect(MqttMessageType.CONNACK)));
        }
        try (RawMqttClient watcher = v5("plug-conn-watcher")) {
            watcher.subscribe(1, "plug/conn/info", 1);
            MqttProperties asked = props(intProp(SESSION_EXPIRY_INTERVAL, 3600),
                    new MqttProperties.UserProperty("site", "north"));
            try (RawMqttClient ok = V5Packets.send(server.tcpPort(),
                    connect(MqttVersion.MQTT_5, "plug-conn-ok", true, 60, asked))) {
                MqttConnAckMessage ack = ok.expect(MqttMessageType.CONNACK);
                assertEquals(0x00, returnCode(ack));
                assertEquals(10, property(ack, SESSION_EXPIRY_INTERVAL), "the client hears the expiry it got");
                assertEquals(10, sessions.get("plug-conn-ok").expiryInterval());
                assertEquals("[site=north, tenant=t1]", RawMqttClient.payload(ack(watcher)));
            }
        }
    }

    @Test
    void sessionListenerHearsCreatedResumedAndEnded() throws Exception {
        drop("sessions", 10, Map.of("test.Sess", IMPORTS + """
                public class Sess implements Plugin, SessionListener {
                    private PluginContext ctx;
                    public void start(PluginContext ctx) { this.ctx = ctx; ctx.addSessionListener(this); }
                    private void tell(String what, String id) {
                        if (id.startsWith("plug-sess-a")) {
                            ctx.publisher().publish(PublishPacket.builder().topic("plug/sess/events")
                                    .payload(what + " " + id).qos(1).build());
                        }
                    }
                    public void onSessionCreated(String id, boolean persistent) { tell("created " + persistent, id); }
                    public void onSessionResumed(String id) { tell("resumed", id); }
                    public void onSessionEnded(String id, EndReason reason) { tell("ended " + reason, id); }
                }
                """));
        MqttProperties expiry = props(intProp(SESSION_EXPIRY_INTERVAL, 300));
        try (RawMqttClient events = v5("plug-sess-watcher")) {
            events.subscribe(1, "plug/sess/events", 1);
            RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, "plug-sess-a", false, expiry).close();
            assertEquals("created true plug-sess-a", RawMqttClient.payload(ack(events)));
            RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, "plug-sess-a", false, expiry).close();
            assertEquals("resumed plug-sess-a", RawMqttClient.payload(ack(events)));
            RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, "plug-sess-a", true, null).close();
            List<String> last = List.of(RawMqttClient.payload(ack(events)), RawMqttClient.payload(ack(events)),
                    RawMqttClient.payload(ack(events)));
            assertTrue(last.containsAll(List.of("ended CLEAN_START plug-sess-a", "created false plug-sess-a",
                    "ended EXPIRED plug-sess-a")), last.toString());
        }
    }

    @Test
    void pluginServesAnEnhancedAuthenticationMethod() throws Exception {
        drop("challenge", 10, Map.of("test.Challenge", IMPORTS + """
                public class Challenge implements Plugin, EnhancedAuthenticator {
                    public void start(PluginContext ctx) { ctx.addEnhancedAuthenticator(this); }
                    public String method() { return "plugin-challenge"; }
                    public AuthConversation begin(ClientInfo client, boolean reauthentication) {
                        return new AuthConversation() {
                            private boolean challenged;
                            public CompletionStage<AuthStep> next(Optional<byte[]> data) {
                                String text = data.map(String::new).orElse("");
                                if (!challenged) {
                                    challenged = true;
                                    return CompletableFuture.completedFuture(AuthStep.challenge("3+3?".getBytes()));
                                }
                                return CompletableFuture.completedFuture(text.equals("6")
                                        ? AuthStep.success(("hi " + client.clientId()
                                                + (reauthentication ? " again" : "")).getBytes())
                                        : AuthStep.failure(0x87, "wrong"));
                            }
                        };
                    }
                }
                """));
        MqttProperties props = props(stringProp(AUTHENTICATION_METHOD, "plugin-challenge"),
                binaryProp(AUTHENTICATION_DATA, utf8("hello")));
        try (RawMqttClient c = V5Packets.send(server.tcpPort(),
                connect(MqttVersion.MQTT_5, "plug-eauth", true, 60, props))) {
            MqttMessage challenge = c.expect(MqttMessageType.AUTH);
            assertEquals(0x18, RawMqttClient.reasonCode(challenge));
            assertArrayEquals(utf8("3+3?"), (byte[]) property(challenge, AUTHENTICATION_DATA));
            c.send(auth(0x18, "plugin-challenge", utf8("6")));
            MqttConnAckMessage ack = c.expect(MqttMessageType.CONNACK);
            assertEquals(0x00, returnCode(ack));
            assertArrayEquals(utf8("hi plug-eauth"), (byte[]) property(ack, AUTHENTICATION_DATA));

            c.send(auth(0x19, "plugin-challenge", utf8("hello")));
            c.expect(MqttMessageType.AUTH);
            c.send(auth(0x18, "plugin-challenge", utf8("6")));
            MqttMessage done = c.expect(MqttMessageType.AUTH);
            assertEquals(0x00, RawMqttClient.reasonCode(done));
            assertArrayEquals(utf8("hi plug-eauth again"), (byte[]) property(done, AUTHENTICATION_DATA));
        }
        try (RawMqttClient wrong = V5Packets.send(server.tcpPort(),
                connect(MqttVersion.MQTT_5, "plug-eauth-wrong", true, 60, props))) {
            wrong.expect(MqttMessageType.AUTH);
            wrong.send(auth(0x18, "plugin-challenge", utf8("7")));
            assertEquals(0x87, returnCode(wrong.expect(MqttMessageType.CONNACK)));
        }
    }

    @Test
    void subscriptionsServiceSubscribesAClientOnItsBehalf() throws Exception {
        drop("svc", 10, Map.of("test.Svc", IMPORTS + """
                public class Svc implements Plugin, ConnectionListener {
                    private PluginContext ctx;
                    public void start(PluginContext ctx) { this.ctx = ctx; ctx.addConnectionListener(this); }
                    public void onConnect(ClientInfo c, boolean present) {
                        if (!c.clientId().equals("plug-svc-device")) return;
                        ctx.subscriptions().subscribe(c.clientId(), SubscriptionView.of("plug/svc/#", 1))
                                .thenAccept(ok -> {
                                    List<SubscriptionView> subs = ctx.subscriptions().of(c.clientId());
                                    ctx.publisher().publish(PublishPacket.builder().topic("plug/svc/list")
                                            .payload(ok + " " + subs.get(0).fullFilter() + " " + subs.size())
                                            .qos(1).build());
                                });
                    }
                }
                """));
        try (RawMqttClient device = v5("plug-svc-device")) {
            assertEquals("true plug/svc/# 1", RawMqttClient.payload(ack(device)));
            try (RawMqttClient pub = v5("plug-svc-pub")) {
                assertEquals(0x00, publishQos1(pub, "plug/svc/cmd", 1));
            }
            assertEquals("plug/svc/cmd", ack(device).variableHeader().topicName());
        }
    }

    @Test
    void throwingOrSlowNewHooksFallBackAndTheBrokerKeepsServing() throws Exception {
        drop("faulty-hooks", 10, Map.of("test.Faulty", IMPORTS + """
                public class Faulty implements Plugin, OutboundPublishInterceptor, SubscribeInterceptor,
                        ConnectInterceptor {
                    public void start(PluginContext ctx) {
                        ctx.addOutboundPublishInterceptor(this);
                        ctx.addSubscribeInterceptor(this);
                        ctx.addConnectInterceptor(this);
                        ctx.addOutboundPublishInterceptor(new Inline());
                    }
                    static void sleep() {
                        try { Thread.sleep(3000); } catch (InterruptedException e) { }
                    }
                    public CompletionStage<PublishInterceptor.PublishAction> onOutboundPublish(String id,
                            PublishPacket p) {
                        if (p.topic().equals("plug/fault/throw")) throw new IllegalStateException("boom");
                        if (p.topic().equals("plug/fault/hang")) sleep();
                        return CompletableFuture.completedFuture(PublishInterceptor.PublishAction.proceed(p));
                    }
                    public CompletionStage<SubscribeAction> onSubscribe(ClientInfo c, SubscriptionView s) {
                        if (s.topicFilter().equals("plug/fault/slow")) sleep();
                        return CompletableFuture.completedFuture(SubscribeAction.proceed(s));
                    }
                    public CompletionStage<ConnectAction> onConnect(ConnectPacket c) {
                        if (c.client().clientId().equals("plug-fault-conn")) throw new IllegalStateException("boom");
                        return CompletableFuture.completedFuture(ConnectAction.proceed(c));
                    }
                    /** Claims to be non-blocking but blocks once: it is moved to the plugin's threads. */
                    @NonBlocking
                    public static class Inline implements OutboundPublishInterceptor {
                        public CompletionStage<PublishInterceptor.PublishAction> onOutboundPublish(String id,
                                PublishPacket p) {
                            if (p.topic().equals("plug/fault/inline-hang")) sleep();
                            return CompletableFuture.completedFuture(PublishInterceptor.PublishAction.proceed(p));
                        }
                    }
                }
                """));
        try (RawMqttClient refused = V5Packets.send(server.tcpPort(),
                connect(MqttVersion.MQTT_5, "plug-fault-conn", true, 60, null))) {
            assertEquals(0x80, returnCode(refused.expect(MqttMessageType.CONNACK)), "on-failure=deny refuses");
        }
        try (RawMqttClient sub = v5("plug-fault-sub"); RawMqttClient pub = v5("plug-fault-pub");
             RawMqttClient other = v5("plug-fault-other")) {
            long start = System.nanoTime();
            sub.send(MqttMessageBuilders.subscribe().messageId(1)
                    .addSubscription("plug/fault/slow", MqttSubscriptionOption.onlyFromQos(MqttQoS.AT_LEAST_ONCE))
                    .build());
            // While that hook sleeps, another client subscribes and is served.
            assertEquals(List.of(1), other.subscribe(1, "plug/fault/other", 1).payload().reasonCodes());
            assertEquals(List.of(0x80), ((MqttSubAckMessage) sub.expect(MqttMessageType.SUBACK)).payload()
                    .reasonCodes(), "timed out: the fallback refuses");
            assertTrue(System.nanoTime() - start < 2_500_000_000L, "the 500 ms limit applied, not the 3 s sleep");

            sub.subscribe(2, "plug/fault/#", 1);
            publishQos1(pub, "plug/fault/throw", 1);
            publishQos1(pub, "plug/fault/hang", 2);
            publishQos1(pub, "plug/fault/inline-hang", 3);
            publishQos1(pub, "plug/fault/fine", 4);
            // The failed copies are dropped for this subscriber; the next one arrives, in order.
            assertEquals("plug/fault/fine", ack(sub).variableHeader().topicName());
            // The demoted inline hook still works, from the plugin's threads now.
            assertEquals(0x00, publishQos1(pub, "plug/fault/after", 5));
            assertEquals("plug/fault/after", ack(sub).variableHeader().topicName());
            assertEquals(0x00, publishQos1(pub, "plug/fault/other", 6));
            assertEquals("plug/fault/other", ack(other).variableHeader().topicName());
        }
        admin().get("/api/v1/plugins/faulty-hooks").then().statusCode(200)
                .body("errors", greaterThanOrEqualTo(2)).body("timeouts", greaterThanOrEqualTo(3));
    }

    private RawMqttClient v5(String clientId) throws InterruptedException {
        return RawMqttClient.connect(server.tcpPort(), MqttVersion.MQTT_5, clientId, true, null);
    }
}
