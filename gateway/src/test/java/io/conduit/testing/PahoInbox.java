package io.conduit.testing;

import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A Paho MQTT 5.0 client that records every message it receives. Messages are taken from the client callback
 * rather than per-subscription listeners, since Paho matches listeners by filter and a {@code $share/...} filter
 * never matches the topic it delivers.
 */
public final class PahoInbox implements MessageListener5, AutoCloseable {

    public record Received(String topic, MqttMessage message) {
        public String payload() {
            return new String(message.getPayload(), StandardCharsets.UTF_8);
        }
    }

    private final MqttClient client;
    private final BlockingQueue<Received> queue = new LinkedBlockingQueue<>();
    private final List<Received> all = new CopyOnWriteArrayList<>();

    private PahoInbox(MqttClient client) {
        this.client = client;
    }

    public static PahoInbox connect(int port, String clientId) throws MqttException {
        return connect(port, clientId, options -> { });
    }

    public static PahoInbox connect(int port, String clientId, Consumer<MqttConnectionOptions> configure)
            throws MqttException {
        MqttClient client = new MqttClient("tcp://127.0.0.1:" + port, clientId, new MemoryPersistence());
        PahoInbox inbox = new PahoInbox(client);
        client.setCallback(inbox);
        MqttConnectionOptions options = new MqttConnectionOptions();
        configure.accept(options);
        client.connect(options);
        return inbox;
    }

    public MqttClient client() {
        return client;
    }

    /** The next message received, in order; fails after the timeout. */
    public Received next(Duration timeout) throws InterruptedException {
        Received r = queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (r == null) {
            throw new AssertionError(client.getClientId() + ": no message within " + timeout);
        }
        return r;
    }

    /** Every message received so far. */
    public List<Received> received() {
        return List.copyOf(all);
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) {
        Received r = new Received(topic, message);
        all.add(r);
        queue.add(r);
    }






    @Override
    public void close() throws MqttException {
        if (client.isConnected()) {
            client.disconnect();
        }
        client.close();
    }
}
