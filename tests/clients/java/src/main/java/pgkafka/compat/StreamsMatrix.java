package pgkafka.compat;

import static pgkafka.compat.Clients.admin;
import static pgkafka.compat.Clients.create;
import static pgkafka.compat.Matrix.check;
import static pgkafka.compat.Matrix.unique;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Compatibility matrix: Kafka Streams 4.4.0 with exactly_once_v2. WordCountApp runs as a child
 * JVM, is killed with SIGKILL part way and started again; the committed output must hold, per
 * word, exactly the counts 1..n (no duplicate, no gap), ending at the true count.
 */
public final class StreamsMatrix {
    static final int LINES = 3000;
    static final String[] WORDS = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda"};

    final Admin admin = admin();
    Path state, log;

    static String line(int i) {
        return WORDS[i % WORDS.length] + " " + WORDS[(i * 7 + 3) % WORDS.length] + " " + WORDS[(i / 3) % WORDS.length];
    }

    void produce(String topic, int from, int to) throws Exception {
        var p = Clients.props("linger.ms", 5);
        try (var producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
            for (int i = from; i < to; i++) {
                fs.add(producer.send(new ProducerRecord<>(topic, "line-" + i, line(i))));
            }
            producer.flush();
            for (var f : fs) {
                f.get(60, TimeUnit.SECONDS);
            }
        }
    }

    static Process start(String appId, String in, String out, Path state, Path log) throws Exception {
        return Proc.track(Proc.builder(WordCountApp.class.getName(), List.of(appId, in, out, state.toString()))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start());
    }

    /** Every (word, count) the output holds, in offset order per partition, at isolation. */
    static Map<String, List<Long>> readOutput(String topic, int partitions, String isolation) {
        var p = Clients.props("group.id", unique("streams-reader"), "isolation.level", isolation, "auto.offset.reset", "earliest", "enable.auto.commit", "false");
        try (var c = new KafkaConsumer<>(p, new StringDeserializer(), new LongDeserializer())) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int i = 0; i < partitions; i++) {
                tps.add(new TopicPartition(topic, i));
            }
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            Map<String, List<Long>> out = new TreeMap<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                check(System.nanoTime() < deadline, "output not read to its end");
                for (var r : c.poll(Duration.ofMillis(200))) {
                    out.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value());
                }
            }
            return out;
        }
    }

    String streamsEos() throws Exception {
        String appId = unique("streams-wc"), in = appId + "-lines", out = appId + "-counts-out";
        create(admin, in, 2);
        create(admin, out, 2);
        Map<String, Long> want = new TreeMap<>();
        for (int i = 0; i < LINES; i++) {
            for (String w : line(i).split(" ")) {
                want.merge(w, 1L, Long::sum);
            }
        }
        state = Files.createTempDirectory("pgkafka-streams");
        log = Files.createTempFile("pgkafka-streams", ".log");
        produce(in, 0, LINES / 2);
        Process first = start(appId, in, out, state, log);
        long half = 3L * LINES / 4;
        try {
            Matrix.waitUntil("the first run's output", Duration.ofSeconds(120), () -> {
                check(first.isAlive(), "the application exited: %s", tail(log));
                return readOutput(out, 2, "read_uncommitted").values().stream().mapToLong(List::size).sum() >= half;
            });
            produce(in, LINES / 2, LINES);
            Matrix.sleep(300);
        } finally {
            first.destroyForcibly().waitFor(); // SIGKILL, mid-transaction as likely as not
        }
        var uncommittedAtKill = readOutput(out, 2, "read_uncommitted");
        Process second = start(appId, in, out, state, log);
        Map<String, List<Long>> committed;
        try {
            committed = Matrix.waitUntil("exact final counts", Duration.ofSeconds(150), () -> {
                check(second.isAlive(), "the restarted application exited: %s", tail(log));
                var got = readOutput(out, 2, "read_committed");
                Map<String, Long> last = got.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().get(e.getValue().size() - 1), (a, b) -> b, TreeMap::new));
                return last.equals(want) ? got : null;
            });
        } finally {
            second.destroy();
            second.waitFor(60, TimeUnit.SECONDS);
            second.destroyForcibly();
        }
        for (var e : committed.entrySet()) {
            List<Long> seq = e.getValue();
            for (int i = 0; i < seq.size(); i++) {
                check(seq.get(i) == i + 1, "word %s: committed counts %s are not 1..%d (duplicate or gap at %d)", e.getKey(), abbreviate(seq), want.get(e.getKey()), i);
            }
        }
        long uncommitted = readOutput(out, 2, "read_uncommitted").values().stream().mapToLong(List::size).sum();
        long exact = want.values().stream().mapToLong(Long::longValue).sum();
        // Internal topics: a repartition topic and a compacted changelog, created with the
        // default replication factor (-1), which the broker reports as its own (1).
        Set<String> names = admin.listTopics().names().get(60, TimeUnit.SECONDS);
        String repartition = appId + "-words-repartition", changelog = appId + "-counts-changelog";
        check(names.contains(repartition) && names.contains(changelog), "internal topics %s", names.stream().filter(n -> n.startsWith(appId)).toList());
        var cfg = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, changelog))).all().get(60, TimeUnit.SECONDS)
                .values().iterator().next();
        check(cfg.get("cleanup.policy").value().contains("compact"), "changelog cleanup.policy %s", cfg.get("cleanup.policy").value());
        var desc = admin.describeTopics(List.of(repartition, changelog)).allTopicNames().get(60, TimeUnit.SECONDS);
        Map<String, Integer> rf = new HashMap<>();
        desc.forEach((n, d) -> rf.put(n.substring(appId.length() + 1), d.partitions().get(0).replicas().size()));
        return String.format("%d lines, %d words: kill -9 part way (%d updates visible uncommitted then), restart; read_committed holds exactly 1..n per word (%d updates; %d incl. aborted); internal topics %s (changelog compacted)",
                LINES, want.size(), uncommittedAtKill.values().stream().mapToLong(List::size).sum(), exact, uncommitted, rf);
    }

    static String abbreviate(List<Long> l) {
        return l.size() <= 12 ? l.toString() : l.subList(0, 6) + "..." + l.subList(l.size() - 6, l.size());
    }

    static String tail(Path log) {
        try {
            return Proc.tail(Files.readString(log));
        } catch (Exception e) {
            return "?";
        }
    }

    public static void main(String[] args) throws Exception {
        StreamsMatrix s = new StreamsMatrix();
        Matrix m = new Matrix("kafka-streams", Clients.kafkaVersion());
        m.run("streams_eos", Duration.ofSeconds(420), s::streamsEos);
        Proc.killAll();
        Proc.deleteTree(s.state);
        Proc.deleteTree(s.log);
        m.finish();
    }
}
