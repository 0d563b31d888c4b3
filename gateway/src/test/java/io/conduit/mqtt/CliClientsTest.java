package io.conduit.mqtt;

import io.conduit.routing.Router;
import io.conduit.testing.ExternalProcess;
import io.conduit.testing.ExternalProcess.Result;
import io.conduit.testing.Subscriptions;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Debian's mosquitto_pub and mosquitto_sub, run as processes against the broker, in MQTT 3.1.1 ({@code -V 311}) and
 * 5.0 ({@code -V 5}). The subscribers exit on their own after one message ({@code -C 1}) or after {@code -W}
 * seconds, and every process has a time limit, so a broken broker fails these tests instead of hanging them.
 */
@QuarkusTest
class CliClientsTest {

    private static final Duration PROCESS_LIMIT = Duration.ofSeconds(20);
    /** What mosquitto_sub is given as -W: its own limit, below PROCESS_LIMIT. */
    private static final String SUB_WAIT_S = "10";

    @Inject
    MqttServer server;

    @Inject
    Router router;

    @BeforeAll
    static void mosquittoClientsInstalled() {
        ExternalProcess.require("mosquitto_pub (package mosquitto-clients)", "sh", "-c", "command -v mosquitto_pub");
        ExternalProcess.require("mosquitto_sub (package mosquitto-clients)", "sh", "-c", "command -v mosquitto_sub");
    }

    @ParameterizedTest(name = "-V {0} at QoS {1}")
    @CsvSource({"311, 0", "311, 1", "311, 2", "5, 0", "5, 1", "5, 2"})
    void roundTrip(String version, int qos) {
        String topic = "cli/v" + version + "/qos" + qos;
        String payload = "hello from mosquitto_pub (v" + version + ", qos " + qos + ")";
        String subId = "cli-sub-v" + version + "-q" + qos;
        try (ExternalProcess sub = subscribe(version, subId, topic, qos, "-v", "-C", "1")) {
            awaitSubscribed(sub, subId, topic);
            pub(version, "-i", "cli-pub-v" + version + "-q" + qos, "-q", String.valueOf(qos), "-t", topic,
                    "-m", payload).assertSuccess();
            Result got = sub.await(PROCESS_LIMIT).assertSuccess();
            assertEquals(topic + " " + payload + "\n", got.stdout());
        }
    }

    @ParameterizedTest(name = "-V {0}")
    @ValueSource(strings = {"311", "5"})
    void retainedMessageReachesALaterSubscriber(String version) {
        String topic = "cli/v" + version + "/retained/temperature";
        pub(version, "-i", "cli-retain-pub-v" + version, "-q", "1", "-r", "-t", topic, "-m", "21.5").assertSuccess();

        // Nothing is published after this subscriber connects: what it prints can only be the retained message.
        Result got = ExternalProcess.run(PROCESS_LIMIT, sub(version, "cli-retain-sub-v" + version, topic, 1,
                "-v", "-C", "1")).assertSuccess();
        assertEquals(topic + " 21.5\n", got.stdout());

        // The RETAIN flag is set on a retained message sent because of a new subscription.
        got = ExternalProcess.run(PROCESS_LIMIT, sub(version, "cli-retain-flag-v" + version, topic, 1,
                "-F", "%r %q %t %p", "-C", "1")).assertSuccess();
        assertEquals("1 1 " + topic + " 21.5\n", got.stdout());

        // An empty retained message deletes it: a new subscriber then waits in vain until -W ends it.
        pub(version, "-i", "cli-retain-clear-v" + version, "-q", "1", "-r", "-n", "-t", topic).assertSuccess();
        got = ExternalProcess.run(PROCESS_LIMIT, subCommand(version, "cli-retain-gone-v" + version, topic, 1, "2",
                "-v", "-C", "1"));
        assertNotEquals(0, got.exitCode(), "mosquitto_sub should time out without a message: " + got);
        assertEquals("", got.stdout());
    }

    @Test
    void v5PropertiesTravelEndToEnd() {
        String topic = "cli/v5/properties";
        String subId = "cli-props-sub";
        try (ExternalProcess sub = subscribe("5", subId, topic, 1,
                "-D", "subscribe", "subscription-identifier", "42",
                "-F", "%t|%p|%C|%R|%P|%S", "-C", "1")) {
            awaitSubscribed(sub, subId, topic);
            pub("5", "-i", "cli-props-pub", "-q", "1", "-t", topic, "-m", "{\"t\":21.5}",
                    "-D", "publish", "content-type", "application/json",
                    "-D", "publish", "response-topic", "cli/v5/replies",
                    "-D", "publish", "user-property", "site", "lab").assertSuccess();
            Result got = sub.await(PROCESS_LIMIT).assertSuccess();
            assertEquals(topic + "|{\"t\":21.5}|application/json|cli/v5/replies|site:lab|42\n", got.stdout());
        }
    }

    @Test
    void v311AndV5ClientsTalkToEachOther() {
        String topic = "cli/mixed";
        try (ExternalProcess sub = subscribe("5", "cli-mixed-sub5", topic, 2, "-v", "-C", "1")) {
            awaitSubscribed(sub, "cli-mixed-sub5", topic);
            pub("311", "-i", "cli-mixed-pub311", "-q", "2", "-t", topic, "-m", "from 3.1.1").assertSuccess();
            assertEquals(topic + " from 3.1.1\n", sub.await(PROCESS_LIMIT).assertSuccess().stdout());
        }
        try (ExternalProcess sub = subscribe("311", "cli-mixed-sub311", topic, 2, "-v", "-C", "1")) {
            awaitSubscribed(sub, "cli-mixed-sub311", topic);
            pub("5", "-i", "cli-mixed-pub5", "-q", "2", "-t", topic, "-m", "from 5.0").assertSuccess();
            assertEquals(topic + " from 5.0\n", sub.await(PROCESS_LIMIT).assertSuccess().stdout());
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private Result pub(String version, String... args) {
        List<String> cmd = new ArrayList<>(List.of("mosquitto_pub", "-h", "127.0.0.1",
                "-p", String.valueOf(server.tcpPort()), "-V", version));
        cmd.addAll(List.of(args));
        return ExternalProcess.run(PROCESS_LIMIT, cmd.toArray(String[]::new));
    }

    private ExternalProcess subscribe(String version, String clientId, String topic, int qos, String... extra) {
        return ExternalProcess.start(sub(version, clientId, topic, qos, extra));
    }

    private String[] sub(String version, String clientId, String topic, int qos, String... extra) {
        return subCommand(version, clientId, topic, qos, SUB_WAIT_S, extra);
    }

    private String[] subCommand(String version, String clientId, String topic, int qos, String waitSeconds,
                                String... extra) {
        List<String> cmd = new ArrayList<>(List.of("mosquitto_sub", "-h", "127.0.0.1",
                "-p", String.valueOf(server.tcpPort()), "-V", version, "-i", clientId, "-t", topic,
                "-q", String.valueOf(qos), "-W", waitSeconds));
        cmd.addAll(List.of(extra));
        return cmd.toArray(String[]::new);
    }

    /** mosquitto_sub says nothing when SUBACK arrives; ask the broker when the topic reaches the subscriber. */
    private void awaitSubscribed(ExternalProcess sub, String clientId, String topic) {
        Subscriptions.awaitRouted(router, clientId, topic, sub);
    }
}
