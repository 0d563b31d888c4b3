package io.conduit.plugin;

import io.conduit.testing.PluginJars;
import io.conduit.testing.RawMqttClient;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static io.conduit.testing.AdminApi.admin;
import static org.awaitility.Awaitility.await;

/** Plugin jars dropped into {@link PluginsProfile#DIR} and the client steps the plugin tests share. */
final class PluginDrops {

    static final Duration LOAD = Duration.ofSeconds(20);

    private PluginDrops() {
    }

    /** Removes every plugin jar and waits until the gateway has unloaded them. */
    static void removeAll() throws Exception {
        try (var files = Files.list(PluginsProfile.DIR)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".jar")).toList()) {
                Files.delete(p);
            }
        }
        await().atMost(LOAD).until(() -> admin().get("/api/v1/plugins").jsonPath().getList("$").isEmpty());
    }

    /** Compiles the sources into a plugin jar (main class: the first {@code test.*} class) and waits until started. */
    static Path drop(String id, int priority, Map<String, String> sources) throws Exception {
        String main = sources.keySet().stream().filter(n -> n.startsWith("test.")).findFirst().orElseThrow();
        return drop(id, priority, sources, main);
    }

    static Path drop(String id, int priority, Map<String, String> sources, String main) throws Exception {
        Path jar = PluginJars.build(PluginsProfile.DIR, "id=" + id + "\nname=" + id + "\nversion=1\nmain=" + main
                + "\npriority=" + priority + "\napi-version=1.1\n", new HashMap<>(sources));
        awaitStarted(id);
        return jar;
    }

    static void awaitStarted(String id) {
        await().atMost(LOAD).until(() -> {
            var r = admin().get("/api/v1/plugins/" + id);
            return r.statusCode() == 200 && "started".equals(r.jsonPath().getString("state"));
        });
    }

    static int publishQos1(RawMqttClient c, String topic, int packetId) {
        c.publish(topic, "m", 1, false, packetId, null);
        return RawMqttClient.reasonCode(c.expect(MqttMessageType.PUBACK));
    }

    /** The next PUBLISH, acknowledged. */
    static MqttPublishMessage ack(RawMqttClient sub) {
        MqttPublishMessage p = sub.expect(MqttMessageType.PUBLISH);
        if (p.fixedHeader().qosLevel().value() == 1) {
            sub.ack(MqttMessageType.PUBACK, p.variableHeader().packetId());
        }
        return p;
    }

    static Map<String, String> userProperties(MqttPublishMessage p) {
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
