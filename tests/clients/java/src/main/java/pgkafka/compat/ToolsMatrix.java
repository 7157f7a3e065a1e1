package pgkafka.compat;

import static pgkafka.compat.Clients.admin;
import static pgkafka.compat.Clients.b;
import static pgkafka.compat.Clients.create;
import static pgkafka.compat.Clients.producer;
import static pgkafka.compat.Clients.sendAll;
import static pgkafka.compat.Matrix.BOOTSTRAP;
import static pgkafka.compat.Matrix.check;
import static pgkafka.compat.Matrix.unique;
import static pgkafka.compat.Proc.ok;
import static pgkafka.compat.Proc.okIn;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Compatibility matrix: Kafka's own command-line tools from the 4.4.0 jars, each run as
 * `java -cp ... <main class>` exactly as bin/kafka-*.sh would, and checked by their output and by
 * the Java client. verifiable_restart is the check Kafka's system tests rely on: every acked
 * record consumed, none twice, across a broker restart.
 */
public final class ToolsMatrix {
    static final String TOPICS = "org.apache.kafka.tools.TopicCommand";
    static final String CONSOLE_PRODUCER = "org.apache.kafka.tools.ConsoleProducer";
    static final String CONSOLE_CONSUMER = "org.apache.kafka.tools.consumer.ConsoleConsumer";
    static final String GROUPS = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand";
    static final String CONFIGS = "org.apache.kafka.tools.ConfigCommand";
    static final String GET_OFFSETS = "org.apache.kafka.tools.GetOffsetShell";
    static final String PRODUCER_PERF = "org.apache.kafka.tools.ProducerPerformance";
    static final String CONSUMER_PERF = "org.apache.kafka.tools.ConsumerPerformance";
    static final String VERIFIABLE_PRODUCER = "org.apache.kafka.tools.VerifiableProducer";
    static final String VERIFIABLE_CONSUMER = "org.apache.kafka.tools.VerifiableConsumer";
    static final int VERIFIABLE_RECORDS = 100_000;

    final Admin admin = admin();

    long endOffset(String topic, int p) throws Exception {
        TopicPartition tp = new TopicPartition(topic, p);
        return admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get(60, TimeUnit.SECONDS).offset();
    }

    String cliTopics() throws Exception {
        String topic = unique("cli-topics");
        String created = ok(TOPICS, "--bootstrap-server", BOOTSTRAP, "--create", "--topic", topic, "--partitions", "2", "--replication-factor", "1",
                "--config", "retention.ms=3600000");
        check(created.contains("Created topic " + topic), "create: %s", created);
        String d = ok(TOPICS, "--bootstrap-server", BOOTSTRAP, "--describe", "--topic", topic);
        check(d.contains("PartitionCount: 2") && d.contains("retention.ms=3600000"), "describe: %s", d);
        ok(TOPICS, "--bootstrap-server", BOOTSTRAP, "--alter", "--topic", topic, "--partitions", "4");
        d = ok(TOPICS, "--bootstrap-server", BOOTSTRAP, "--describe", "--topic", topic);
        check(d.contains("PartitionCount: 4"), "describe after alter: %s", d);
        check(d.lines().filter(l -> l.contains("Partition: ") && l.contains("Leader: 0")).count() == 4, "partitions with leader: %s", d);
        String list = ok(TOPICS, "--bootstrap-server", BOOTSTRAP, "--list");
        check(list.lines().anyMatch(topic::equals), "list lacks the topic");
        ok(TOPICS, "--bootstrap-server", BOOTSTRAP, "--delete", "--topic", topic);
        Matrix.waitUntil("topic gone", () -> {
            try {
                return !ok(TOPICS, "--bootstrap-server", BOOTSTRAP, "--list").lines().anyMatch(topic::equals);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        return "kafka-topics --create (with --config), --describe, --alter --partitions 4, --list, --delete";
    }

    String cliConsole() throws Exception {
        String topic = unique("cli-console");
        create(admin, topic, 1);
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            in.append("key").append(i).append(':').append("value ").append(i).append('\n');
        }
        okIn(in.toString(), CONSOLE_PRODUCER, "--bootstrap-server", BOOTSTRAP, "--topic", topic,
                "--reader-property", "parse.key=true", "--reader-property", "key.separator=:", "--producer-property", "acks=all");
        check(endOffset(topic, 0) == 20, "end offset %d after the console producer", endOffset(topic, 0));
        String out = ok(CONSOLE_CONSUMER, "--bootstrap-server", BOOTSTRAP, "--topic", topic, "--from-beginning", "--max-messages", "20",
                "--formatter-property", "print.key=true", "--formatter-property", "key.separator=:", "--timeout-ms", "60000");
        List<String> lines = out.lines().filter(l -> l.startsWith("key")).toList();
        check(lines.size() == 20, "console consumer printed %d records: %s", lines.size(), Proc.tail(out));
        for (int i = 0; i < 20; i++) {
            check(lines.get(i).equals("key" + i + ":value " + i), "line %d: %s", i, lines.get(i));
        }
        return "kafka-console-producer (parse.key) then kafka-console-consumer --from-beginning (print.key): 20 records, in order";
    }

    String cliConsumerGroups() throws Exception {
        String topic = unique("cli-groups"), group = unique("cli-groups-g");
        create(admin, topic, 1);
        produceValues(topic, 10);
        ok(CONSOLE_CONSUMER, "--bootstrap-server", BOOTSTRAP, "--topic", topic, "--group", group, "--max-messages", "4",
                "--consumer-property", "max.poll.records=4", "--consumer-property", "auto.offset.reset=earliest", "--timeout-ms", "60000");
        String list = ok(GROUPS, "--bootstrap-server", BOOTSTRAP, "--list");
        check(list.lines().anyMatch(group::equals), "--list lacks the group");
        String d = ok(GROUPS, "--bootstrap-server", BOOTSTRAP, "--describe", "--group", group);
        long[] row = groupRow(d, topic);
        check(row[0] == 4 && row[1] == 10 && row[2] == 6, "describe: current %d end %d lag %d: %s", row[0], row[1], row[2], d);
        String plan = ok(GROUPS, "--bootstrap-server", BOOTSTRAP, "--reset-offsets", "--group", group, "--topic", topic, "--to-offset", "7", "--dry-run");
        check(plan.contains(topic) && plan.contains("7"), "dry run: %s", plan);
        check(groupRow(ok(GROUPS, "--bootstrap-server", BOOTSTRAP, "--describe", "--group", group), topic)[0] == 4, "--dry-run changed the offset");
        ok(GROUPS, "--bootstrap-server", BOOTSTRAP, "--reset-offsets", "--group", group, "--topic", topic, "--to-offset", "7", "--execute");
        check(groupRow(ok(GROUPS, "--bootstrap-server", BOOTSTRAP, "--describe", "--group", group), topic)[0] == 7, "after --to-offset 7");
        ok(GROUPS, "--bootstrap-server", BOOTSTRAP, "--reset-offsets", "--group", group, "--topic", topic, "--to-earliest", "--execute");
        check(groupRow(ok(GROUPS, "--bootstrap-server", BOOTSTRAP, "--describe", "--group", group), topic)[0] == 0, "after --to-earliest");
        ok(GROUPS, "--bootstrap-server", BOOTSTRAP, "--reset-offsets", "--group", group, "--topic", topic, "--shift-by", "3", "--execute");
        check(groupRow(ok(GROUPS, "--bootstrap-server", BOOTSTRAP, "--describe", "--group", group), topic)[0] == 3, "after --shift-by 3");
        String del = ok(GROUPS, "--bootstrap-server", BOOTSTRAP, "--delete", "--group", group);
        check(del.contains("successful"), "delete: %s", del);
        return "kafka-consumer-groups --list, --describe (offset 4, lag 6), --reset-offsets --dry-run / --to-offset / --to-earliest / --shift-by, --delete";
    }

    /** CURRENT-OFFSET, LOG-END-OFFSET, LAG of partition 0 of topic in a --describe table. */
    static long[] groupRow(String describe, String topic) {
        for (String l : describe.lines().toList()) {
            String[] f = l.trim().split("\\s+");
            if (f.length >= 6 && f[1].equals(topic) && f[2].equals("0")) {
                return new long[] {parse(f[3]), parse(f[4]), parse(f[5])};
            }
        }
        throw new AssertionError("no row for " + topic + " in: " + describe);
    }

    static long parse(String s) {
        return s.equals("-") ? -1 : Long.parseLong(s);
    }

    void produceValues(String topic, int n) throws Exception {
        List<ProducerRecord<byte[], byte[]>> recs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            recs.add(new ProducerRecord<>(topic, 0, null, b("v" + i)));
        }
        try (var p = producer()) {
            sendAll(p, recs);
        }
    }

    String cliConfigs() throws Exception {
        String topic = unique("cli-configs");
        create(admin, topic, 1);
        ok(CONFIGS, "--bootstrap-server", BOOTSTRAP, "--alter", "--entity-type", "topics", "--entity-name", topic,
                "--add-config", "retention.ms=1234567,max.message.bytes=2000000");
        String d = ok(CONFIGS, "--bootstrap-server", BOOTSTRAP, "--describe", "--entity-type", "topics", "--entity-name", topic);
        check(d.contains("retention.ms=1234567") && d.contains("max.message.bytes=2000000"), "describe: %s", d);
        ok(CONFIGS, "--bootstrap-server", BOOTSTRAP, "--alter", "--entity-type", "topics", "--entity-name", topic, "--delete-config", "retention.ms");
        d = ok(CONFIGS, "--bootstrap-server", BOOTSTRAP, "--describe", "--entity-type", "topics", "--entity-name", topic);
        check(!d.contains("retention.ms=1234567") && d.contains("max.message.bytes=2000000"), "after --delete-config: %s", d);
        String all = ok(CONFIGS, "--bootstrap-server", BOOTSTRAP, "--describe", "--entity-type", "brokers", "--entity-name", "0", "--all");
        check(all.contains("All configs for broker 0") || all.lines().count() > 5, "broker --all: %s", Proc.tail(all));
        return "kafka-configs --alter --add-config / --delete-config, --describe topics, --describe brokers --all";
    }

    String cliGetOffsets() throws Exception {
        String topic = unique("cli-offsets");
        create(admin, topic, 2);
        long base = System.currentTimeMillis() - 60000;
        List<ProducerRecord<byte[], byte[]>> recs = new ArrayList<>();
        long[] ts = {base, base + 3000, base + 1000};
        for (long t : ts) {
            recs.add(new ProducerRecord<>(topic, 0, t, null, b("v")));
        }
        try (var p = producer("linger.ms", 50)) {
            sendAll(p, recs);
        }
        String latest = ok(GET_OFFSETS, "--bootstrap-server", BOOTSTRAP, "--topic", topic, "--time", "-1");
        check(latest.contains(topic + ":0:3") && latest.contains(topic + ":1:0"), "--time -1: %s", latest);
        String earliest = ok(GET_OFFSETS, "--bootstrap-server", BOOTSTRAP, "--topic", topic, "--time", "-2");
        check(earliest.contains(topic + ":0:0"), "--time -2: %s", earliest);
        String max = ok(GET_OFFSETS, "--bootstrap-server", BOOTSTRAP, "--topic", topic, "--partitions", "0", "--time", "-3");
        check(max.strip().equals(topic + ":0:1"), "--time -3 (max timestamp): %s", max);
        String byTime = ok(GET_OFFSETS, "--bootstrap-server", BOOTSTRAP, "--topic", topic, "--partitions", "0", "--time", String.valueOf(base + 500));
        check(byTime.strip().equals(topic + ":0:1"), "--time <ts>: %s", byTime);
        return "kafka-get-offsets --time -1, -2, -3 (max timestamp) and a timestamp";
    }

    String cliPerf() throws Exception {
        String topic = unique("cli-perf");
        create(admin, topic, 3);
        int n = 50_000;
        String p = ok(PRODUCER_PERF, "--topic", topic, "--num-records", String.valueOf(n), "--record-size", "200", "--throughput", "-1",
                "--producer-props", "bootstrap.servers=" + BOOTSTRAP, "acks=all", "compression.type=lz4");
        check(p.contains(n + " records sent"), "producer perf: %s", Proc.tail(p));
        long total = endOffset(topic, 0) + endOffset(topic, 1) + endOffset(topic, 2);
        check(total == n, "%d records in the topic", total);
        String c = ok(CONSUMER_PERF, "--bootstrap-server", BOOTSTRAP, "--topic", topic, "--messages", String.valueOf(n), "--timeout", "60000");
        // The CSV line: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, ...
        String row = c.lines().filter(l -> l.matches("^\\d{4}-.*")).reduce((a, x) -> x).orElseThrow(() -> new AssertionError("no result row: " + c));
        long consumed = Long.parseLong(row.split(",\\s*")[4]);
        check(consumed == n, "consumer perf consumed %d: %s", consumed, row);
        Matcher m = Pattern.compile("([\\d.]+) records/sec").matcher(p);
        return String.format("kafka-producer-perf-test %d x 200 B (lz4, acks=all), kafka-consumer-perf-test consumed %d%s", n, consumed,
                m.find() ? " (" + m.group(1) + " records/s produced, not asserted)" : "");
    }

    /** Verifiable producer then verifiable consumer, 100,000 records, a broker restart during each. */
    String verifiableRestart() throws Exception {
        if (!Proc.canRestartBroker()) {
            throw new Matrix.NotApplicable("PG_KAFKA_RESTART_CMD is not set: no broker restart available");
        }
        String topic = unique("cli-verifiable"), group = unique("cli-verifiable-g");
        create(admin, topic, 3);
        int n = VERIFIABLE_RECORDS;
        BitSet acked = new BitSet(n);
        AtomicInteger sendErrors = new AtomicInteger();
        String[] firstError = {null};
        String[] toolData = {null};
        // The verifiable producer sets retries=0 unless its --command-config says otherwise: a
        // record in flight when the broker goes away then fails. Retrying idempotently is what a
        // producer that must not lose or duplicate across a restart does.
        java.nio.file.Path conf = java.nio.file.Files.createTempFile("verifiable-producer", ".properties");
        java.nio.file.Files.writeString(conf, "retries=2147483647\nenable.idempotence=true\ndelivery.timeout.ms=120000\n");
        Process prod = Proc.builder(VERIFIABLE_PRODUCER, List.of("--bootstrap-server", BOOTSTRAP, "--topic", topic, "--max-messages", String.valueOf(n),
                "--throughput", "20000", "--acks", "-1", "--command-config", conf.toString()))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Proc.track(prod);
        int restartAt = n / 3;
        boolean restarted = false;
        try (var r = new BufferedReader(new InputStreamReader(prod.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; ) {
                if (l.contains("\"producer_send_success\"")) {
                    acked.set(Integer.parseInt(field(l, "value")));
                    if (!restarted && acked.cardinality() >= restartAt) {
                        Proc.restartBroker();
                        restarted = true;
                    }
                } else if (l.contains("\"producer_send_error\"")) {
                    sendErrors.incrementAndGet();
                    if (firstError[0] == null) {
                        firstError[0] = l;
                    }
                } else if (l.contains("\"tool_data\"")) {
                    toolData[0] = l;
                }
            }
        }
        check(prod.waitFor(120, TimeUnit.SECONDS), "verifiable producer did not exit");
        java.nio.file.Files.deleteIfExists(conf);
        check(restarted, "the producer finished before the restart point");
        check(acked.cardinality() == n && sendErrors.get() == 0, "acked %d of %d, %d send errors, the first: %s", acked.cardinality(), n, sendErrors.get(), firstError[0]);
        long total = endOffset(topic, 0) + endOffset(topic, 1) + endOffset(topic, 2);
        check(total == n, "%d records in the topic after %d acks (duplicates or loss)", total, n);

        BitSet consumed = new BitSet(n);
        int duplicates = 0, records = 0;
        Process cons = Proc.builder(VERIFIABLE_CONSUMER, List.of("--bootstrap-server", BOOTSTRAP, "--topic", topic, "--group-id", group,
                "--max-messages", String.valueOf(n), "--reset-policy", "earliest", "--verbose"))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Proc.track(cons);
        restarted = false;
        int commits = 0;
        try (var r = new BufferedReader(new InputStreamReader(cons.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; ) {
                if (l.contains("\"record_data\"")) {
                    int v = Integer.parseInt(field(l, "value"));
                    records++;
                    if (consumed.get(v)) {
                        duplicates++;
                    }
                    consumed.set(v);
                    if (!restarted && records >= n / 2) {
                        Proc.restartBroker();
                        restarted = true;
                    }
                } else if (l.contains("\"offsets_committed\"") && l.contains("\"success\":true")) {
                    commits++;
                }
            }
        }
        check(cons.waitFor(120, TimeUnit.SECONDS), "verifiable consumer did not exit");
        check(restarted, "the consumer finished before the restart point");
        check(consumed.cardinality() == n, "consumed %d distinct of %d acked", consumed.cardinality(), n);
        // The verifiable consumer commits after every batch; after a restart it may re-read what it
        // had not committed yet (at-least-once), never more than one uncommitted batch per partition.
        return String.format("kafka-verifiable-producer (retries, idempotent): %d acked, 0 errors, topic end offsets sum to %d; kafka-verifiable-consumer: every acked record consumed (%d re-read after the restart, %d successful commits); a broker restart during each",
                n, total, duplicates, commits);
    }

    static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"?([^\",}]*)").matcher(json);
        check(m.find(), "no %s in %s", name, json);
        return m.group(1);
    }

    public static void main(String[] args) throws Exception {
        ToolsMatrix t = new ToolsMatrix();
        Matrix m = new Matrix("kafka-tools", Clients.kafkaVersion());
        m.run("cli_topics", t::cliTopics);
        m.run("cli_console", t::cliConsole);
        m.run("cli_consumer_groups", t::cliConsumerGroups);
        m.run("cli_configs", t::cliConfigs);
        m.run("cli_get_offsets", t::cliGetOffsets);
        m.run("cli_perf", Duration.ofSeconds(240), t::cliPerf);
        m.run("verifiable_restart", Duration.ofSeconds(600), t::verifiableRestart);
        Proc.killAll();
        m.finish();
    }
}
