package io.conduit.mqtt;

import io.conduit.testing.ExternalProcess;
import io.conduit.testing.ExternalProcess.Result;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.time.Duration;

import static io.conduit.testing.ExternalProcess.PYTHON;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The publisher and subscriber examples of the paho-mqtt documentation (Debian's python3-paho-mqtt, the 1.6 API),
 * kept as scripts in src/test/resources/python and run with /usr/bin/python3 against the broker.
 */
@QuarkusTest
class PahoPythonTest {

    private static final Duration PROCESS_LIMIT = Duration.ofSeconds(30);

    @Inject
    MqttServer server;

    @BeforeAll
    static void pahoInstalled() {
        // Fails rather than skips: `./conduit test` installs python3-paho-mqtt.
        ExternalProcess.require("python3-paho-mqtt for " + PYTHON, PYTHON, "-c", "import paho.mqtt.client");
    }

    @Test
    void documentationExampleOverMqtt311() {
        roundTrip("311", "py/v311/greeting", "hello from paho", 1, "Connected with result code 0");
    }

    @Test
    void documentationExampleOverMqtt5() {
        // paho 1.6 hands 5.0 callbacks a ReasonCodes object, which prints as its name.
        roundTrip("5", "py/v5/greeting", "hello from paho 5", 2, "Connected with result code Success");
    }

    @Test
    void publishSingleHelper() {
        String topic = "py/single";
        try (ExternalProcess sub = subscriber(topic, "311")) {
            awaitSubscribed(sub);
            Result pub = python(script("publish_single.py"), host(), port(), topic, "one shot", "1");
            assertEquals("Published\n", pub.assertSuccess().stdout());
            Result got = sub.await(PROCESS_LIMIT).assertSuccess();
            assertEquals("Connected with result code 0\nSubscribed\n" + topic + " b'one shot'\n", got.stdout());
        }
    }

    private void roundTrip(String version, String topic, String message, int qos, String connected) {
        try (ExternalProcess sub = subscriber(topic, version)) {
            awaitSubscribed(sub);
            Result pub = python(script("publisher.py"), host(), port(), topic, message, version, String.valueOf(qos));
            assertEquals("Published\n", pub.assertSuccess().stdout());
            // The subscriber disconnects after the first message, so loop_forever() returns and the script ends.
            Result got = sub.await(PROCESS_LIMIT).assertSuccess();
            assertEquals(connected + "\nSubscribed\n" + topic + " b'" + message + "'\n", got.stdout());
        }
    }

    private ExternalProcess subscriber(String topic, String version) {
        return ExternalProcess.start(PYTHON, "-u", script("subscriber.py"), host(), port(), topic, version);
    }

    private static void awaitSubscribed(ExternalProcess sub) {
        sub.awaitOutput(out -> out.contains("Subscribed\n"), Duration.ofSeconds(15));
    }

    private static Result python(String... args) {
        String[] cmd = new String[args.length + 2];
        cmd[0] = PYTHON;
        cmd[1] = "-u";
        System.arraycopy(args, 0, cmd, 2, args.length);
        return ExternalProcess.run(PROCESS_LIMIT, cmd);
    }

    private static String host() {
        return "127.0.0.1";
    }

    private String port() {
        return String.valueOf(server.tcpPort());
    }

    private static String script(String name) {
        URL url = PahoPythonTest.class.getResource("/python/" + name);
        assertNotNull(url, "test resource python/" + name);
        try {
            return Path.of(url.toURI()).toString();
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }
}
