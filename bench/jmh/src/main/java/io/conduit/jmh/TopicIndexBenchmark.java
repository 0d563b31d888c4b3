package io.conduit.jmh;

import io.conduit.routing.Message;
import io.conduit.routing.Subscriber;
import io.conduit.routing.Subscription;
import io.conduit.routing.SubscriptionTree;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The topic index ({@link SubscriptionTree}) with 1 thousand and 1 million subscriptions: the cost of a publish's
 * match must not grow with the number of subscriptions, only with the topic's depth and its matches.
 *
 * <p>The tree is a fleet: {@code devices} = subscriptions / 3, grouped by 1,000 per site, and each device's session
 * holds three subscriptions of different kinds, {@code fleet/S/D/telemetry} (exact), {@code fleet/S/D/+} (one-level
 * wildcard) and {@code fleet/S/D/cmd/#} (multi-level), plus 16 operators' subscriptions that see every device's alarms
 * ({@code fleet/+/+/alarm}), so that wildcard branches are walked at every level. A telemetry publish therefore matches
 * exactly two subscriptions of one client (merged into one delivery) whatever the tree's size.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
public class TopicIndexBenchmark {

    private static final int DEVICES_PER_SITE = 1_000;
    private static final int TOPICS = 4_096;

    @Param({"1000", "1000000"})
    public int subscriptions;

    private SubscriptionTree tree;
    private String[] telemetryTopics;
    private String[] alarmTopics;
    private Subscription[] churn;
    private Subscriber churnSubscriber;
    private int next;

    @Setup
    public void fill() {
        tree = new SubscriptionTree();
        int devices = Math.max(1, subscriptions / 3);
        for (int d = 0; d < devices; d++) {
            String device = "dev-" + d;
            Subscriber subscriber = new NullSubscriber(device);
            String prefix = "fleet/site-" + d / DEVICES_PER_SITE + "/" + device + "/";
            tree.subscribe(subscriber, subscription(device, prefix + "telemetry"));
            tree.subscribe(subscriber, subscription(device, prefix + "+"));
            tree.subscribe(subscriber, subscription(device, prefix + "cmd/#"));
        }
        for (int o = 0; o < 16; o++) {
            tree.subscribe(new NullSubscriber("ops-" + o), subscription("ops-" + o, "fleet/+/+/alarm"));
        }
        SplittableRandom random = new SplittableRandom(42);
        telemetryTopics = new String[TOPICS];
        alarmTopics = new String[TOPICS];
        churn = new Subscription[TOPICS];
        for (int i = 0; i < TOPICS; i++) {
            int d = random.nextInt(devices);
            String prefix = "fleet/site-" + d / DEVICES_PER_SITE + "/dev-" + d + "/";
            telemetryTopics[i] = prefix + "telemetry";
            alarmTopics[i] = prefix + "alarm";
            churn[i] = subscription("churn", prefix + "status/+");
        }
        churnSubscriber = new NullSubscriber("churn");
    }

    private static Subscription subscription(String clientId, String filter) {
        return new Subscription(clientId, filter, null, 1, false, false, 0, 0);
    }

    /** One device's telemetry: two subscriptions of its own client match (exact and '+'), one delivery. */
    @Benchmark
    public List<SubscriptionTree.Target> matchTelemetry() {
        return tree.match(telemetryTopics[next++ & (TOPICS - 1)], "publisher");
    }

    /** An alarm: the device's '+' subscription and the 16 operators' 'fleet/+/+/alarm'. */
    @Benchmark
    public List<SubscriptionTree.Target> matchAlarm() {
        return tree.match(alarmTopics[next++ & (TOPICS - 1)], "publisher");
    }

    /** A subscription added and removed again in a large tree (e.g. a client that comes and goes). */
    @Benchmark
    public boolean subscribeUnsubscribe() {
        Subscription s = churn[next++ & (TOPICS - 1)];
        tree.subscribe(churnSubscriber, s);
        return tree.unsubscribe(churnSubscriber, s);
    }

    private record NullSubscriber(String clientId) implements Subscriber {

        @Override
        public boolean isOnline() {
            return true;
        }

        @Override
        public CompletionStage<Void> deliver(Message message, int qos, boolean retain, int[] subscriptionIds) {
            return null;
        }
    }
}
