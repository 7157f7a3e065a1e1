package pgkafka.compat;

import static pgkafka.compat.Matrix.BOOTSTRAP;
import static pgkafka.compat.Matrix.PATIENCE;
import static pgkafka.compat.Matrix.check;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Java-client helpers shared by the JVM runners (byte[] keys and values throughout). */
public final class Clients {
    private Clients() {}

    public static Properties props(Object... kv) {
        Properties p = new Properties();
        p.put("bootstrap.servers", BOOTSTRAP);
        for (int i = 0; i < kv.length; i += 2) {
            p.put(kv[i].toString(), kv[i + 1].toString());
        }
        return p;
    }

    public static Admin admin() {
        return Admin.create(props("request.timeout.ms", 30000, "default.api.timeout.ms", 60000));
    }

    public static void create(Admin admin, String topic, int partitions) throws Exception {
        admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    }

    public static KafkaProducer<byte[], byte[]> producer(Object... kv) {
        Properties p = props("linger.ms", 5);
        p.putAll(props(kv));
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    public static KafkaConsumer<byte[], byte[]> consumer(Object... kv) {
        Properties p = props("auto.offset.reset", "earliest", "enable.auto.commit", "false");
        p.putAll(props(kv));
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Sends every record, waits for each acknowledgement, returns the metadata in send order. */
    public static List<RecordMetadata> sendAll(KafkaProducer<byte[], byte[]> p, List<ProducerRecord<byte[], byte[]>> records) throws Exception {
        List<java.util.concurrent.Future<RecordMetadata>> fs = new ArrayList<>();
        for (ProducerRecord<byte[], byte[]> r : records) {
            fs.add(p.send(r));
        }
        p.flush();
        List<RecordMetadata> out = new ArrayList<>();
        for (var f : fs) {
            out.add(f.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
        }
        return out;
    }

    /** The kafka-clients version on the class path (the jar's kafka/kafka-version.properties). */
    public static String kafkaVersion() {
        try (var in = KafkaProducer.class.getResourceAsStream("/kafka/kafka-version.properties")) {
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (Exception e) {
            return "unknown";
        }
    }

    public static byte[] b(String s) {
        return s == null ? null : s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    public static String s(byte[] b) {
        return b == null ? null : new String(b, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Reads n records of one partition from offset 0 with an assign()-only consumer. */
    public static List<ConsumerRecord<byte[], byte[]>> read(String topic, int partition, int n, Object... kv) {
        try (KafkaConsumer<byte[], byte[]> c = consumer(kv)) {
            TopicPartition tp = new TopicPartition(topic, partition);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            return pollN(c, n);
        }
    }

    public static List<ConsumerRecord<byte[], byte[]>> pollN(KafkaConsumer<byte[], byte[]> c, int n) {
        List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (got.size() < n) {
            check(System.nanoTime() < deadline, "only %d of %d records", got.size(), n);
            for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                got.add(r);
            }
        }
        return got;
    }

    /** Polls until the consumer has read every record up to the partitions' end offsets. */
    public static List<ConsumerRecord<byte[], byte[]>> readToEnd(KafkaConsumer<byte[], byte[]> c, Collection<TopicPartition> tps) {
        Map<TopicPartition, Long> end = c.endOffsets(tps, PATIENCE);
        List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        Predicate<TopicPartition> behind = tp -> c.position(tp, PATIENCE) < end.get(tp);
        while (tps.stream().anyMatch(behind)) {
            check(System.nanoTime() < deadline, "did not reach the end offsets %s; %d records", end, got.size());
            for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                got.add(r);
            }
        }
        return got;
    }
}
