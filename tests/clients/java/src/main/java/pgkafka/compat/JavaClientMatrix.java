package pgkafka.compat;

import static pgkafka.compat.Clients.admin;
import static pgkafka.compat.Clients.b;
import static pgkafka.compat.Clients.consumer;
import static pgkafka.compat.Clients.create;
import static pgkafka.compat.Clients.pollN;
import static pgkafka.compat.Clients.producer;
import static pgkafka.compat.Clients.read;
import static pgkafka.compat.Clients.readToEnd;
import static pgkafka.compat.Clients.s;
import static pgkafka.compat.Clients.sendAll;
import static pgkafka.compat.Matrix.PATIENCE;
import static pgkafka.compat.Matrix.check;
import static pgkafka.compat.Matrix.javaPartition;
import static pgkafka.compat.Matrix.unique;
import static pgkafka.compat.Matrix.waitUntil;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.SecurityDisabledException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;

/**
 * Compatibility matrix: the Java client (kafka-clients). Run with the 4.4.0 class path as
 * "java-client" and with the 3.9 class path as "java-client-3.9": the code uses only API both
 * have, and asks for the 4.x-only SubscriptionPattern by reflection.
 */
public final class JavaClientMatrix {
    static final int LONG_POLL_MAX_WAIT_MS = 60000;
    static final String CLASSIC = "classic";
    static final String CONSUMER = "consumer";

    final Admin admin = admin();
    final String version = Clients.kafkaVersion();

    static <T> T get(KafkaFuture<T> f) throws Exception {
        return f.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    }

    String metadata() throws Exception {
        String topic = unique("java-meta");
        create(admin, topic, 3);
        var d = waitUntil("topic described", () -> {
            try {
                return get(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic);
            } catch (Exception e) {
                return null;
            }
        });
        check(d.partitions().size() == 3, "%d partitions", d.partitions().size());
        for (var p : d.partitions()) {
            check(p.leader() != null && p.leader().id() >= 0, "partition %d has no leader", p.partition());
        }
        Set<String> names = get(admin.listTopics().names());
        check(names.contains(topic), "listTopics lacks %s", topic);
        return "describeTopics: 3 partitions with leaders; listTopics";
    }

    String describeCluster() throws Exception {
        DescribeClusterResult r = admin.describeCluster();
        Collection<Node> nodes = get(r.nodes());
        Node controller = get(r.controller());
        String clusterId = get(r.clusterId());
        check(!nodes.isEmpty(), "no nodes");
        check(clusterId != null && !clusterId.isEmpty(), "no cluster id");
        check(controller != null && controller.id() >= 0, "no controller: %s", controller);
        check(nodes.stream().anyMatch(n -> n.id() == controller.id()), "controller %s not among nodes %s", controller, nodes);
        for (Node n : nodes) {
            check(!n.host().equals("localhost"), "node %s advertises localhost", n);
        }
        return String.format("cluster %s, %d node(s) %s, controller %d", clusterId, nodes.size(),
                nodes.stream().map(n -> n.host() + ":" + n.port()).toList(), controller.id());
    }

    String createDeleteTopic() throws Exception {
        String topic = unique("java-cd");
        create(admin, topic, 2);
        waitUntil("created topic listed", () -> names().contains(topic));
        try {
            create(admin, topic, 2);
            throw new AssertionError("creating an existing topic succeeded");
        } catch (ExecutionException e) {
            check(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException, "second create: %s", e.getCause());
        }
        get(admin.deleteTopics(List.of(topic)).all());
        waitUntil("deleted topic gone", () -> !names().contains(topic));
        return "create, TopicExistsException on re-create, delete";
    }

    Set<String> names() {
        try {
            return get(admin.listTopics().names());
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    static final String[][] RECORDS = {{"k1", "v1"}, {null, "no key"}, {"null-value", null}, {"empty-value", ""}, {"", "empty key"}};

    static List<Header> headersOf(int i) {
        if (i == 0) {
            return List.of(new RecordHeader("h", b("a")), new RecordHeader("h", b("b")), new RecordHeader("n", (byte[]) null));
        }
        if (i == 4) {
            return List.of(new RecordHeader("e", new byte[0]));
        }
        return List.of();
    }

    String produceConsume() throws Exception {
        String topic = unique("java-pc");
        create(admin, topic, 1);
        long ts = System.currentTimeMillis() - 3600_000L;
        List<ProducerRecord<byte[], byte[]>> recs = new ArrayList<>();
        for (int i = 0; i < RECORDS.length; i++) {
            recs.add(new ProducerRecord<>(topic, 0, ts + i, b(RECORDS[i][0]), b(RECORDS[i][1]), headersOf(i)));
        }
        try (var p = producer()) {
            sendAll(p, recs);
        }
        var got = read(topic, 0, RECORDS.length);
        for (int i = 0; i < RECORDS.length; i++) {
            var g = got.get(i);
            check(g.offset() == i, "offset %d at %d", g.offset(), i);
            check(java.util.Objects.equals(s(g.key()), RECORDS[i][0]), "record %d key %s", i, s(g.key()));
            check(java.util.Objects.equals(s(g.value()), RECORDS[i][1]), "record %d value %s", i, s(g.value()));
            check(g.timestamp() == ts + i, "record %d timestamp %d, sent %d", i, g.timestamp(), ts + i);
            List<Header> want = headersOf(i);
            Header[] have = g.headers().toArray();
            check(have.length == want.size(), "record %d: %d headers, want %d", i, have.length, want.size());
            for (int j = 0; j < have.length; j++) {
                check(have[j].key().equals(want.get(j).key()) && Arrays.equals(have[j].value(), want.get(j).value()),
                        "record %d header %d: %s=%s", i, j, have[j].key(), s(have[j].value()));
            }
        }
        return "default producer (idempotent); keys, duplicate/null/empty headers, null and empty values and keys, timestamps";
    }

    Matrix.Scenario codec(String name) {
        return () -> {
            String topic = unique("java-" + name);
            create(admin, topic, 1);
            List<ProducerRecord<byte[], byte[]>> recs = new ArrayList<>();
            List<String> want = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                String v = (name + " record " + i + " ").repeat(20);
                want.add(v);
                recs.add(new ProducerRecord<>(topic, 0, b("k" + i), b(v)));
            }
            try (var p = producer("compression.type", name, "linger.ms", 50)) {
                sendAll(p, recs);
            }
            var got = read(topic, 0, want.size());
            for (int i = 0; i < want.size(); i++) {
                check(s(got.get(i).value()).equals(want.get(i)), "record %d differs", i);
            }
            return "200 records, default (idempotent) producer";
        };
    }

    String murmur2Partitioning() throws Exception {
        String topic = unique("java-murmur");
        create(admin, topic, 7);
        List<byte[]> keys = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            keys.add(b("key-" + i));
        }
        keys.add(new byte[0]);
        keys.add(b("x"));
        keys.add(new byte[] {(byte) 0xff, (byte) 0xfe, 0});
        List<ProducerRecord<byte[], byte[]>> recs = keys.stream().map(k -> new ProducerRecord<>(topic, k, b("v"))).toList();
        List<RecordMetadata> md;
        try (var p = producer()) {
            md = sendAll(p, recs);
        }
        Map<Integer, Integer> perPartition = new HashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            int want = javaPartition(keys.get(i), 7);
            check(md.get(i).partition() == want, "key %s in partition %d, murmur2 says %d", Arrays.toString(keys.get(i)), md.get(i).partition(), want);
            perPartition.merge(want, 1, Integer::sum);
        }
        for (var e : perPartition.entrySet()) {
            var got = read(topic, e.getKey(), e.getValue());
            for (var r : got) {
                check(javaPartition(r.key(), 7) == e.getKey(), "partition %d holds a key of %d", e.getKey(), javaPartition(r.key(), 7));
            }
        }
        return keys.size() + " keys over 7 partitions, default partitioner; each read back from its partition";
    }

    long offsetOf(TopicPartition tp, OffsetSpec spec) throws Exception {
        ListOffsetsResult.ListOffsetsResultInfo i = get(admin.listOffsets(Map.of(tp, spec)).partitionResult(tp));
        return i.offset();
    }

    String listOffsets() throws Exception {
        String topic = unique("java-lo");
        create(admin, topic, 1);
        long base = System.currentTimeMillis() - 60000;
        List<ProducerRecord<byte[], byte[]>> recs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            recs.add(new ProducerRecord<>(topic, 0, base + i * 1000L, null, b("v")));
        }
        try (var p = producer()) {
            sendAll(p, recs);
        }
        TopicPartition tp = new TopicPartition(topic, 0);
        check(offsetOf(tp, OffsetSpec.earliest()) == 0, "earliest");
        check(offsetOf(tp, OffsetSpec.latest()) == 5, "latest %d", offsetOf(tp, OffsetSpec.latest()));
        check(offsetOf(tp, OffsetSpec.forTimestamp(base + 2500)) == 3, "by timestamp %d", offsetOf(tp, OffsetSpec.forTimestamp(base + 2500)));
        check(offsetOf(tp, OffsetSpec.forTimestamp(base + 60000)) == -1, "after the last timestamp: %d", offsetOf(tp, OffsetSpec.forTimestamp(base + 60000)));
        try (var c = consumer("group.id", unique("java-lo"))) {
            check(c.beginningOffsets(List.of(tp)).get(tp) == 0, "beginningOffsets");
            check(c.endOffsets(List.of(tp)).get(tp) == 5, "endOffsets");
            OffsetAndTimestamp ot = c.offsetsForTimes(Map.of(tp, base + 1000)).get(tp);
            check(ot != null && ot.offset() == 1 && ot.timestamp() == base + 1000, "offsetsForTimes %s", ot);
        }
        return "Admin: earliest, latest, by timestamp (and past the end: -1); consumer beginningOffsets, endOffsets, offsetsForTimes";
    }

    String listOffsetsMaxTimestamp() throws Exception {
        String topic = unique("java-lomax");
        create(admin, topic, 1);
        long base = System.currentTimeMillis() - 60000;
        long[] ts = {base, base + 4000, base + 1000, base + 2000, base + 3000};
        List<ProducerRecord<byte[], byte[]>> recs = new ArrayList<>();
        for (long t : ts) {
            recs.add(new ProducerRecord<>(topic, 0, t, null, b("v")));
        }
        try (var p = producer("linger.ms", 100)) {
            sendAll(p, recs);
        }
        TopicPartition tp = new TopicPartition(topic, 0);
        var info = get(admin.listOffsets(Map.of(tp, OffsetSpec.maxTimestamp())).partitionResult(tp));
        check(info.offset() == 1 && info.timestamp() == base + 4000, "MAX_TIMESTAMP: offset %d timestamp %d, want offset 1 timestamp %d",
                info.offset(), info.timestamp(), base + 4000);
        return "timestamps out of order in one batch; MAX_TIMESTAMP names offset 1";
    }

    String adminDeleteRecords() throws Exception {
        String topic = unique("java-dr");
        create(admin, topic, 1);
        List<ProducerRecord<byte[], byte[]>> recs = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            recs.add(new ProducerRecord<>(topic, 0, null, b("d" + i)));
        }
        try (var p = producer("linger.ms", 0, "batch.size", 1)) {
            sendAll(p, recs);
        }
        TopicPartition tp = new TopicPartition(topic, 0);
        var low = get(admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(4))).lowWatermarks().get(tp));
        check(low.lowWatermark() == 4, "low watermark %d", low.lowWatermark());
        check(offsetOf(tp, OffsetSpec.earliest()) == 4, "earliest after delete %d", offsetOf(tp, OffsetSpec.earliest()));
        check(offsetOf(tp, OffsetSpec.latest()) == 10, "latest after delete");
        var got = read(topic, 0, 6);
        check(got.get(0).offset() == 4 && s(got.get(0).value()).equals("d4"), "first record after delete: %d", got.get(0).offset());
        try (var c = consumer("group.id", unique("java-dr"))) {
            check(c.beginningOffsets(List.of(tp)).get(tp) == 4, "beginningOffsets after delete");
        }
        return "deleteRecords before 4: low watermark 4, earliest 4, reading starts at 4";
    }

    // ---- groups, under both protocols -------------------------------------------------------

    static Object[] groupProps(String protocol, String group, Object... extra) {
        List<Object> kv = new ArrayList<>(List.of("group.id", group, "group.protocol", protocol));
        if (protocol.equals(CLASSIC)) {
            kv.addAll(List.of("session.timeout.ms", 10000, "heartbeat.interval.ms", 500));
        }
        kv.addAll(Arrays.asList(extra));
        return kv.toArray();
    }

    void produceValues(String topic, int partition, int n, String prefix) throws Exception {
        List<ProducerRecord<byte[], byte[]>> recs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            recs.add(new ProducerRecord<>(topic, partition, null, b(prefix + i)));
        }
        try (var p = producer()) {
            sendAll(p, recs);
        }
    }

    Matrix.Scenario groupCommitResume(String protocol) {
        return () -> {
            String topic = unique("java-resume"), group = unique("java-resume-g");
            create(admin, topic, 1);
            produceValues(topic, 0, 10, "v");
            TopicPartition tp = new TopicPartition(topic, 0);
            try (var first = consumer(groupProps(protocol, group))) {
                first.subscribe(List.of(topic));
                var got = pollN(first, 6);
                check(got.get(0).offset() == 0, "first member started at %d", got.get(0).offset());
                first.commitSync(Map.of(tp, new OffsetAndMetadata(6, "resume-here")));
                var committed = first.committed(Set.of(tp)).get(tp);
                check(committed != null && committed.offset() == 6 && "resume-here".equals(committed.metadata()), "committed %s", committed);
            }
            try (var second = consumer(groupProps(protocol, group))) {
                second.subscribe(List.of(topic));
                var rest = pollN(second, 4);
                List<Long> offs = rest.stream().map(ConsumerRecord::offset).toList();
                check(offs.equals(List.of(6L, 7L, 8L, 9L)), "second member read %s", offs);
            }
            var offsets = get(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata());
            check(offsets.get(tp) != null && offsets.get(tp).offset() == 6, "admin sees %s", offsets);
            return groupType(protocol, group) + "; subscribe, commitSync with metadata, committed(); the next member resumes at 6";
        };
    }

    static Set<Integer> partitionsOf(KafkaConsumer<byte[], byte[]> c) {
        return c.assignment().stream().map(TopicPartition::partition).collect(Collectors.toCollection(TreeSet::new));
    }

    Matrix.Scenario rebalanceTwoMembers(String protocol) {
        return () -> {
            String topic = unique("java-reb"), group = unique("java-reb-g");
            create(admin, topic, 4);
            try (var a = consumer(groupProps(protocol, group))) {
                a.subscribe(List.of(topic));
                waitUntil("a owns all", () -> {
                    a.poll(Duration.ofMillis(100));
                    return partitionsOf(a).size() == 4;
                });
                Set<Integer> pa, pb;
                String how;
                try (var b = consumer(groupProps(protocol, group))) {
                    b.subscribe(List.of(topic));
                    waitUntil("two-member split", () -> {
                        a.poll(Duration.ofMillis(50));
                        b.poll(Duration.ofMillis(50));
                        Set<Integer> x = partitionsOf(a), y = partitionsOf(b);
                        Set<Integer> all = new HashSet<>(x);
                        all.addAll(y);
                        return !x.isEmpty() && !y.isEmpty() && x.size() + y.size() == 4 && all.size() == 4;
                    });
                    pa = partitionsOf(a);
                    pb = partitionsOf(b);
                    var d = describeGroup(group);
                    check(d.members().size() == 2, "describe: %d members", d.members().size());
                    how = groupType(protocol, group);
                }
                waitUntil("a owns all again", () -> {
                    a.poll(Duration.ofMillis(100));
                    return partitionsOf(a).size() == 4;
                });
                return how + "; split " + pa + " / " + pb + ", back to one member after leave";
            }
        };
    }

    /** Proves the protocol the group runs: the broker describes its type. */
    String groupType(String protocol, String group) throws Exception {
        var d = describeGroup(group);
        var want = protocol.equals(CONSUMER) ? org.apache.kafka.common.GroupType.CONSUMER : org.apache.kafka.common.GroupType.CLASSIC;
        check(d.type() == want, "group type %s, want %s", d.type(), want);
        return "group type " + d.type() + (d.partitionAssignor().isEmpty() ? "" : ", assignor " + d.partitionAssignor());
    }

    ConsumerGroupDescription describeGroup(String group) throws Exception {
        return get(admin.describeConsumerGroups(List.of(group)).describedGroups().get(group));
    }

    /** The group's state by name: 4.x has groupState(), 3.9 only state(). */
    static String stateOf(ConsumerGroupDescription d) {
        for (String m : List.of("groupState", "state")) {
            try {
                return String.valueOf(ConsumerGroupDescription.class.getMethod(m).invoke(d));
            } catch (ReflectiveOperationException e) {
                // try the next name
            }
        }
        throw new IllegalStateException("no state accessor");
    }

    Matrix.Scenario simpleCommitAssign(String protocol) {
        return () -> {
            String topic = unique("java-sc"), group = unique("java-sc-g");
            create(admin, topic, 1);
            produceValues(topic, 0, 6, "s");
            TopicPartition tp = new TopicPartition(topic, 0);
            try (var c = consumer("group.id", group, "group.protocol", protocol)) {
                c.assign(List.of(tp));
                var got = pollN(c, 3);
                check(got.get(0).offset() == 0, "started at %d", got.get(0).offset());
                c.commitSync(Map.of(tp, new OffsetAndMetadata(3)));
                var committed = c.committed(Set.of(tp)).get(tp);
                check(committed != null && committed.offset() == 3, "committed %s", committed);
            }
            var offsets = get(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata());
            check(offsets.get(tp) != null && offsets.get(tp).offset() == 3, "admin sees %s", offsets);
            try (var c = consumer("group.id", group, "group.protocol", protocol)) {
                c.assign(List.of(tp));
                var got = pollN(c, 3);
                check(got.get(0).offset() == 3, "a new assign()-only consumer of the group started at %d", got.get(0).offset());
            }
            String unknown = unique("java-sc-missing");
            TopicPartition missing = new TopicPartition(unknown, 0);
            String refusal;
            // The broker answers UNKNOWN_TOPIC_OR_PARTITION, which the Java client retries until
            // the commit's timeout: a TimeoutException (or UnknownTopicOrPartitionException).
            try (var c = consumer("group.id", group, "group.protocol", protocol)) {
                c.commitSync(Map.of(missing, new OffsetAndMetadata(1)), Duration.ofSeconds(5));
                throw new AssertionError("a commit for the unknown topic " + unknown + " succeeded");
            } catch (org.apache.kafka.common.KafkaException e) {
                refusal = e.getClass().getSimpleName();
                check(e instanceof org.apache.kafka.common.errors.TimeoutException
                        || e instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException, "refused with %s", Matrix.describe(e));
            }
            check(!names().contains(unknown), "the commit created topic %s", unknown);
            return "assign() only (no membership): commitSync, committed(), Admin and a new consumer see offset 3; "
                    + "a commit for an unknown topic is refused (" + refusal + ")";
        };
    }

    /** A regex subscription: a Pattern (matched by the client) for classic groups and 3.9, a
     *  SubscriptionPattern (matched by the broker, KIP-848) for the consumer protocol on 4.x. */
    Matrix.Scenario regexSubscribe(String protocol) {
        return () -> {
            String prefix = unique("java-rx");
            String t1 = prefix + "-a", t2 = prefix + "-b", other = unique("java-rxother");
            create(admin, t1, 1);
            create(admin, t2, 1);
            create(admin, other, 1);
            produceValues(t1, 0, 2, "a");
            produceValues(t2, 0, 2, "b");
            produceValues(other, 0, 2, "o");
            String how;
            try (var c = consumer(groupProps(protocol, unique("java-rx-g"), "metadata.max.age.ms", 1000))) {
                String regex = Pattern.quote(prefix) + "-.*";
                if (protocol.equals(CONSUMER) && !version.startsWith("3.")) {
                    Class<?> sp = Class.forName("org.apache.kafka.clients.consumer.SubscriptionPattern");
                    Object pattern = sp.getConstructor(String.class).newInstance(prefix.replace(".", "\\.") + "-.*");
                    KafkaConsumer.class.getMethod("subscribe", sp).invoke(c, pattern);
                    how = "SubscriptionPattern (broker-side RE2J regex)";
                } else {
                    c.subscribe(Pattern.compile(regex));
                    how = "Pattern (client-side regex)";
                }
                var got = pollN(c, 4);
                Set<String> topics = got.stream().map(ConsumerRecord::topic).collect(Collectors.toCollection(TreeSet::new));
                check(topics.equals(new TreeSet<>(List.of(t1, t2))), "read topics %s", topics);
                var more = c.poll(Duration.ofSeconds(1));
                for (var r : more) {
                    check(!r.topic().equals(other), "read the non-matching topic");
                }
            }
            return how + ": both matching topics read, the other not";
        };
    }

    Matrix.Scenario assignGrow(String protocol) {
        return () -> {
            String topic = unique("java-grow"), group = unique("java-grow-g");
            create(admin, topic, 2);
            produceValues(topic, 0, 5, "p0-");
            produceValues(topic, 1, 5, "p1-");
            TopicPartition p0 = new TopicPartition(topic, 0), p1 = new TopicPartition(topic, 1);
            try (var c = consumer("group.id", group, "group.protocol", protocol)) {
                c.assign(List.of(p0));
                var first = pollN(c, 5);
                check(first.stream().allMatch(r -> r.partition() == 0), "read another partition");
                c.commitSync();
                c.assign(List.of(p0, p1));
                produceValues(topic, 0, 1, "p0-late-");
                var next = pollN(c, 6);
                List<String> p0again = new ArrayList<>();
                for (var r : next) {
                    if (r.partition() == 0 && r.offset() < 5) {
                        p0again.add(String.valueOf(r.offset()));
                    }
                }
                check(p0again.isEmpty(), "partition 0 offsets %s read again after the assignment grew", p0again);
                long p1n = next.stream().filter(r -> r.partition() == 1).count();
                check(p1n == 5, "%d records of partition 1", p1n);
                check(c.position(p0) == 6, "position of partition 0: %d", c.position(p0));
            }
            return "assign([p0]), read and commit, assign([p0, p1]): p0 continues at 5, p1 read from 0";
        };
    }

    String groupsListDescribeDelete() throws Exception {
        String topic = unique("java-grp"), group = unique("java-grp-g");
        create(admin, topic, 1);
        produceValues(topic, 0, 1, "x");
        String state;
        try (var c = consumer(groupProps(CLASSIC, group))) {
            c.subscribe(List.of(topic));
            pollN(c, 1);
            c.commitSync();
            var listed = get(admin.listConsumerGroups().valid());
            check(listed.stream().anyMatch(g -> g.groupId().equals(group)), "group not listed");
            var d = describeGroup(group);
            check(d.members().size() == 1, "members %s", d.members());
            check(d.members().iterator().next().assignment().topicPartitions().equals(Set.of(new TopicPartition(topic, 0))), "assignment %s", d.members());
            state = stateOf(d);
            check(state.equalsIgnoreCase("stable"), "state %s", state);
        }
        waitUntil("group empty after close", () -> {
            try {
                return stateOf(describeGroup(group)).equalsIgnoreCase("empty");
            } catch (Exception e) {
                return false;
            }
        });
        var offsets = get(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata());
        check(offsets.get(new TopicPartition(topic, 0)).offset() == 1, "offsets %s", offsets);
        get(admin.deleteConsumerGroups(List.of(group)).all());
        var listed = get(admin.listConsumerGroups().valid());
        check(listed.stream().noneMatch(g -> g.groupId().equals(group)), "group listed after delete");
        return "listConsumerGroups, describeConsumerGroups (" + state + ", member assignment), listConsumerGroupOffsets, deleteConsumerGroups";
    }

    String createPartitions() throws Exception {
        String topic = unique("java-cp");
        create(admin, topic, 2);
        get(admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(4))).all());
        waitUntil("4 partitions", () -> {
            try {
                return get(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic).partitions().size() == 4;
            } catch (Exception e) {
                return false;
            }
        });
        try (var p = producer()) {
            var md = sendAll(p, List.of(new ProducerRecord<>(topic, 3, null, b("p3"))));
            check(md.get(0).partition() == 3, "partition %d", md.get(0).partition());
        }
        check(s(read(topic, 3, 1).get(0).value()).equals("p3"), "wrong record");
        return "";
    }

    String describeConfigs() throws Exception {
        String topic = unique("java-dc");
        create(admin, topic, 1);
        ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config cfg = get(admin.describeConfigs(List.of(res)).all()).get(res);
        for (String k : List.of("retention.ms", "cleanup.policy", "max.message.bytes")) {
            check(cfg.get(k) != null, "%s missing from %s", k, cfg.entries().stream().map(ConfigEntry::name).toList());
        }
        Node node = get(admin.describeCluster().nodes()).iterator().next();
        ConfigResource bres = new ConfigResource(ConfigResource.Type.BROKER, String.valueOf(node.id()));
        Config bcfg = get(admin.describeConfigs(List.of(bres)).all()).get(bres);
        check(!bcfg.entries().isEmpty(), "no broker configs");
        return String.format("topic: %d entries, broker %d: %d entries", cfg.entries().size(), node.id(), bcfg.entries().size());
    }

    String alterConfigs() throws Exception {
        String topic = unique("java-ac");
        create(admin, topic, 1);
        ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        get(admin.incrementalAlterConfigs(Map.of(res, List.of(
                new AlterConfigOp(new ConfigEntry("retention.ms", "123456"), AlterConfigOp.OpType.SET),
                new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"), AlterConfigOp.OpType.SET)))).all());
        Config cfg = get(admin.describeConfigs(List.of(res)).all()).get(res);
        check("123456".equals(cfg.get("retention.ms").value()), "retention.ms %s", cfg.get("retention.ms"));
        check(cfg.get("retention.ms").source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, "source %s", cfg.get("retention.ms").source());
        check("compact".equals(cfg.get("cleanup.policy").value()), "cleanup.policy %s", cfg.get("cleanup.policy"));
        get(admin.incrementalAlterConfigs(Map.of(res, List.of(
                new AlterConfigOp(new ConfigEntry("retention.ms", ""), AlterConfigOp.OpType.DELETE)))).all());
        cfg = get(admin.describeConfigs(List.of(res)).all()).get(res);
        check(!"123456".equals(cfg.get("retention.ms").value()) && cfg.get("retention.ms").source() != ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG,
                "retention.ms after DELETE: %s", cfg.get("retention.ms"));
        return "incrementalAlterConfigs SET and DELETE, seen by describeConfigs with their sources";
    }

    String adminAcls() throws Exception {
        String topic = unique("java-acl");
        AclBinding binding = new AclBinding(new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL),
                new AccessControlEntry("User:pgkafka_compat", "*", AclOperation.READ, AclPermissionType.ALLOW));
        try {
            get(admin.createAcls(List.of(binding)).all());
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnsupportedVersionException || e.getCause() instanceof SecurityDisabledException) {
                throw new Matrix.NotApplicable("the broker serves no ACLs yet: " + Matrix.describe(e.getCause()));
            }
            throw e;
        }
        AclBindingFilter filter = new AclBindingFilter(new ResourcePatternFilter(ResourceType.TOPIC, topic, PatternType.LITERAL),
                AccessControlEntryFilter.ANY);
        var found = get(admin.describeAcls(filter).values());
        check(found.contains(binding), "describeAcls: %s", found);
        var deleted = get(admin.deleteAcls(List.of(filter)).all());
        check(deleted.contains(binding), "deleteAcls: %s", deleted);
        check(get(admin.describeAcls(filter).values()).isEmpty(), "ACL still there after delete");
        return "createAcls, describeAcls, deleteAcls";
    }

    String idempotentProducer() throws Exception {
        String topic = unique("java-idem");
        create(admin, topic, 1);
        List<ProducerRecord<byte[], byte[]>> recs = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            recs.add(new ProducerRecord<>(topic, 0, null, b("i" + i)));
        }
        try (var p = producer("enable.idempotence", true, "max.in.flight.requests.per.connection", 5, "batch.size", 512)) {
            sendAll(p, recs);
        }
        var got = read(topic, 0, 1000);
        for (int i = 0; i < 1000; i++) {
            check(s(got.get(i).value()).equals("i" + i) && got.get(i).offset() == i, "record %d", i);
        }
        try (var c = consumer("group.id", unique("java-idem"))) {
            TopicPartition tp = new TopicPartition(topic, 0);
            check(c.endOffsets(List.of(tp)).get(tp) == 1000, "end offset");
        }
        return "1000 records in small batches, 5 in flight: each once, in order";
    }

    String transactions() throws Exception {
        String topic = unique("java-txn");
        create(admin, topic, 1);
        try (var p = producer("transactional.id", unique("java-txn-id"))) {
            p.initTransactions();
            p.beginTransaction();
            p.send(new ProducerRecord<>(topic, 0, null, b("c1")));
            p.send(new ProducerRecord<>(topic, 0, null, b("c2")));
            p.commitTransaction();
            p.beginTransaction();
            p.send(new ProducerRecord<>(topic, 0, null, b("a1")));
            p.flush();
            p.abortTransaction();
            p.beginTransaction();
            p.send(new ProducerRecord<>(topic, 0, null, b("c3")));
            p.commitTransaction();
        }
        TopicPartition tp = new TopicPartition(topic, 0);
        List<String> committed, all;
        try (var c = consumer("group.id", unique("java-txn-rc"), "isolation.level", "read_committed")) {
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            committed = readToEnd(c, List.of(tp)).stream().map(r -> s(r.value())).toList();
        }
        try (var c = consumer("group.id", unique("java-txn-ru"), "isolation.level", "read_uncommitted")) {
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            all = readToEnd(c, List.of(tp)).stream().map(r -> s(r.value())).toList();
        }
        check(committed.equals(List.of("c1", "c2", "c3")), "read_committed saw %s", committed);
        check(all.equals(List.of("c1", "c2", "a1", "c3")), "read_uncommitted saw %s", all);
        return "commit, abort, commit: read_committed sees " + committed + ", read_uncommitted " + all;
    }

    String txnOffsetCommit() throws Exception {
        String in = unique("java-ctp-in"), out = unique("java-ctp-out"), group = unique("java-ctp-g");
        create(admin, in, 1);
        create(admin, out, 1);
        produceValues(in, 0, 10, "in");
        TopicPartition tin = new TopicPartition(in, 0), tout = new TopicPartition(out, 0);
        try (var p = producer("transactional.id", unique("java-ctp-id"));
                var c = consumer(groupProps(CLASSIC, group, "isolation.level", "read_committed"))) {
            p.initTransactions();
            c.subscribe(List.of(in));
            // One transaction that is aborted: neither its output nor its offsets count.
            var first = pollN(c, 10);
            p.beginTransaction();
            for (var r : first) {
                p.send(new ProducerRecord<>(out, 0, null, b("aborted-" + s(r.value()))));
            }
            p.sendOffsetsToTransaction(Map.of(tin, new OffsetAndMetadata(10)), c.groupMetadata());
            p.flush();
            p.abortTransaction();
            var afterAbort = get(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()).get(tin);
            check(afterAbort == null, "offsets of the aborted transaction were committed: %s", afterAbort);
            c.seek(tin, 0);
            int done = 0;
            while (done < 10) {
                var batch = pollN(c, 1);
                p.beginTransaction();
                for (var r : batch) {
                    p.send(new ProducerRecord<>(out, 0, null, b("out-" + s(r.value()))));
                }
                done += batch.size();
                p.sendOffsetsToTransaction(Map.of(tin, new OffsetAndMetadata(batch.get(batch.size() - 1).offset() + 1)), c.groupMetadata());
                p.commitTransaction();
            }
        }
        var offsets = get(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata());
        check(offsets.get(tin) != null && offsets.get(tin).offset() == 10, "group offset %s", offsets.get(tin));
        List<String> got;
        try (var c = consumer("group.id", unique("java-ctp-rc"), "isolation.level", "read_committed")) {
            c.assign(List.of(tout));
            c.seekToBeginning(List.of(tout));
            got = readToEnd(c, List.of(tout)).stream().map(r -> s(r.value())).toList();
        }
        List<String> want = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            want.add("out-in" + i);
        }
        check(got.equals(want), "read_committed output %s", got);
        return "consume-transform-produce with sendOffsetsToTransaction(groupMetadata): an aborted pass leaves no output and no offsets; the committed pass each record once";
    }

    String longPoll() throws Exception {
        String topic = unique("java-lp");
        create(admin, topic, 1);
        TopicPartition tp = new TopicPartition(topic, 0);
        try (var c = consumer("group.id", unique("java-lp"), "fetch.max.wait.ms", LONG_POLL_MAX_WAIT_MS,
                "request.timeout.ms", LONG_POLL_MAX_WAIT_MS + 30000, "default.api.timeout.ms", LONG_POLL_MAX_WAIT_MS + 30000)) {
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            check(c.poll(Duration.ofSeconds(3)).isEmpty(), "records in an empty topic");
            try (var p = producer()) {
                sendAll(p, List.of(new ProducerRecord<>(topic, 0, null, b("late"))));
            }
            long t0 = System.nanoTime();
            // Hang guard shorter than the fetch's max wait: only a fetch that the produce woke
            // delivers the record before it fires.
            var got = waitUntil("the record, before the fetch's max wait", Duration.ofSeconds(30), () -> {
                var rs = c.poll(Duration.ofMillis(100));
                return rs.isEmpty() ? null : rs.iterator().next();
            });
            check(s(got.value()).equals("late"), "wrong record");
            return String.format("fetch.max.wait.ms=%d; the record arrived %.2fs after its produce", LONG_POLL_MAX_WAIT_MS, (System.nanoTime() - t0) / 1e9);
        }
    }

    public static void main(String[] args) throws Exception {
        String client = args.length > 0 ? args[0] : "java-client";
        JavaClientMatrix j = new JavaClientMatrix();
        Matrix m = new Matrix(client, j.version);
        m.run("metadata", j::metadata);
        m.run("create_delete_topic", j::createDeleteTopic);
        m.run("produce_consume", j::produceConsume);
        for (String c : List.of("gzip", "snappy", "lz4", "zstd")) {
            m.run("codec_" + c, j.codec(c));
        }
        m.run("murmur2_partitioning", j::murmur2Partitioning);
        m.run("list_offsets", j::listOffsets);
        m.run("group_commit_resume", j.groupCommitResume(CLASSIC));
        m.run("rebalance_two_members", j.rebalanceTwoMembers(CLASSIC));
        m.run("groups_list_describe_delete", j::groupsListDescribeDelete);
        m.run("create_partitions", j::createPartitions);
        m.run("idempotent_producer", j::idempotentProducer);
        m.run("transactions", j::transactions);
        m.run("long_poll", j::longPoll);
        m.run("describe_configs", j::describeConfigs);
        m.run("describe_cluster", j::describeCluster);
        m.run("alter_configs", j::alterConfigs);
        m.run("admin_delete_records", j::adminDeleteRecords);
        m.run("list_offsets_max_timestamp", j::listOffsetsMaxTimestamp);
        m.run("admin_acls", j::adminAcls);
        m.run("txn_offset_commit", j::txnOffsetCommit);
        m.run("simple_commit_assign", j.simpleCommitAssign(CLASSIC));
        m.run("regex_subscribe", j.regexSubscribe(CLASSIC));
        m.run("assign_grow", j.assignGrow(CLASSIC));
        m.run("kip848_commit_resume", j.groupCommitResume(CONSUMER));
        m.run("kip848_rebalance", j.rebalanceTwoMembers(CONSUMER));
        m.run("kip848_simple_commit_assign", j.simpleCommitAssign(CONSUMER));
        m.run("kip848_regex_subscribe", j.regexSubscribe(CONSUMER));
        m.run("kip848_assign_grow", j.assignGrow(CONSUMER));
        m.finish();
    }
}
