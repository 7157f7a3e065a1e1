package pgkafka.compat;

import static pgkafka.compat.Clients.admin;
import static pgkafka.compat.Clients.create;
import static pgkafka.compat.Matrix.check;
import static pgkafka.compat.Matrix.unique;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Compatibility matrix: Kafka Connect 4.4.0 in distributed mode. One worker (a child JVM) keeps
 * its config, offset and status topics in pg_kafka (replication factor -1, the broker's default;
 * connect_default_replication_factor tries Connect's default of 3) with
 * exactly.once.source.support=enabled; the file source connector reads lines into a
 * topic and the file sink connector writes them out again. The worker is killed with SIGKILL
 * and restarted: the source resumes from its committed offset exactly once, the sink at least once.
 */
public final class ConnectMatrix {
    static final int FIRST = 10_000, SECOND = 5_000;
    static final String REST_PORT = Matrix.env("PG_KAFKA_CONNECT_REST_PORT", "19161");
    static final String REST = "http://127.0.0.1:" + REST_PORT;

    final Admin admin = admin();
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final String id = unique("connect");
    final String topic = id + "-lines";
    Path dir, rfDir, worker, source, sink, log;
    Process proc;

    void writeLines(int from, int to) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < to; i++) {
            sb.append("line ").append(i).append('\n');
        }
        Files.writeString(source, sb.toString(), StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    void writeWorker(Path file, String group, String extra) throws Exception {
        Files.writeString(file, String.join("\n",
                "bootstrap.servers=" + Matrix.BOOTSTRAP,
                "group.id=" + group,
                "key.converter=org.apache.kafka.connect.storage.StringConverter",
                "value.converter=org.apache.kafka.connect.storage.StringConverter",
                "config.storage.topic=" + group + "-configs",
                "offset.storage.topic=" + group + "-offsets",
                "status.storage.topic=" + group + "-status",
                "exactly.once.source.support=enabled",
                "offset.flush.interval.ms=1000",
                "listeners=http://127.0.0.1:" + REST_PORT,
                "plugin.discovery=only_scan",
                extra, ""));
    }

    /** A worker left at Connect's default replication factor (3) for its internal topics. */
    String connectDefaultReplicationFactor() throws Exception {
        Path d = rfDir = Files.createTempDirectory("pgkafka-connect-rf");
        String group = unique("connect-rf3");
        writeWorker(d.resolve("worker.properties"), group, "");
        Path wlog = d.resolve("worker.log");
        Process p = Proc.track(Proc.builder("org.apache.kafka.connect.cli.ConnectDistributed", List.of(d.resolve("worker.properties").toString()))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(wlog.toFile())).start());
        try {
            Set<String> want = Set.of(group + "-configs", group + "-offsets", group + "-status");
            try {
                Matrix.waitUntil("the worker's internal topics (replication factor 3)", Duration.ofSeconds(60), () -> {
                    check(p.isAlive(), "the worker exited: %s", tail(wlog));
                    try {
                        return admin.listTopics().names().get(10, TimeUnit.SECONDS).containsAll(want);
                    } catch (Exception e) {
                        return false;
                    }
                });
            } catch (AssertionError e) {
                // Ask the broker what the worker's CreateTopics (replication factor 3) gets.
                String probe = unique("connect-rf3-probe");
                try {
                    admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(probe, 1, (short) 3))).all().get(30, TimeUnit.SECONDS);
                    throw new AssertionError(e.getMessage() + "; yet CreateTopics with replication factor 3 succeeds");
                } catch (java.util.concurrent.ExecutionException ce) {
                    throw new AssertionError("the worker retries CreateTopics of its internal topics (replication factor 3), which the broker refuses: "
                            + Matrix.describe(ce.getCause()));
                }
            }
            var desc = admin.describeTopics(want).allTopicNames().get(60, TimeUnit.SECONDS);
            Map<String, Integer> rf = new HashMap<>();
            desc.forEach((n, t) -> rf.put(n.substring(group.length() + 1), t.partitions().get(0).replicas().size()));
            return "internal topics created with Connect's default replication factor 3; the broker reports replicas " + rf;
        } finally {
            p.destroyForcibly().waitFor();
        }
    }

    static String tail(Path log) {
        try {
            return Proc.tail(Files.readString(log));
        } catch (Exception e) {
            return "?";
        }
    }

    void startWorker() throws Exception {
        proc = Proc.track(Proc.builder("org.apache.kafka.connect.cli.ConnectDistributed", List.of(worker.toString()))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start());
        Matrix.waitUntil("the worker's REST API", Duration.ofSeconds(90), () -> {
            check(proc.isAlive(), "the worker exited: %s", tail());
            try {
                return get("/connectors").statusCode() == 200;
            } catch (Exception e) {
                return false;
            }
        });
    }

    HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(REST + path)).timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> put(String path, String json) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(REST + path)).timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    String tail() {
        try {
            return Proc.tail(Files.readString(log));
        } catch (Exception e) {
            return "?";
        }
    }

    void waitRunning(String connector) {
        Matrix.waitUntil(connector + " and its task RUNNING", Duration.ofSeconds(90), () -> {
            check(proc.isAlive(), "the worker exited: %s", tail());
            try {
                String s = get("/connectors/" + connector + "/status").body();
                check(!s.contains("\"FAILED\""), "%s failed: %s", connector, s);
                return s.contains("\"tasks\":[{") && !s.contains("UNASSIGNED") && s.replace("RUNNING", "").length() == s.length() - 2 * 7;
            } catch (Exception e) {
                return false;
            }
        });
    }

    List<String> sinkLines() throws Exception {
        return Files.exists(sink) ? Files.readAllLines(sink) : List.of();
    }

    /** The topic's records at read_committed, and its end offset (which counts commit markers). */
    List<String> topicValues() {
        var p = Clients.props("group.id", unique("connect-reader"), "isolation.level", "read_committed", "enable.auto.commit", "false");
        try (var c = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            var tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            List<String> out = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (c.position(tp) < end) {
                check(System.nanoTime() < deadline, "topic not read to its end");
                c.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.value()));
            }
            return out;
        }
    }

    String connectDistributed() throws Exception {
        dir = Files.createTempDirectory("pgkafka-connect");
        worker = dir.resolve("worker.properties");
        source = dir.resolve("source.txt");
        sink = dir.resolve("sink.txt");
        log = dir.resolve("worker.log");
        // Replication factor -1: the broker's default (Connect's own default, 3, is the
        // connect_default_replication_factor scenario).
        writeWorker(worker, id, "config.storage.replication.factor=-1\noffset.storage.replication.factor=-1\nstatus.storage.replication.factor=-1");
        create(admin, topic, 1);
        writeLines(0, FIRST);
        startWorker();
        var r = put("/connectors/" + id + "-source/config", "{\"connector.class\":\"pgkafka.compat.connect.LineFileSourceConnector\",\"tasks.max\":\"1\","
                + "\"file\":\"" + source + "\",\"topic\":\"" + topic + "\",\"batch.size\":\"100\",\"exactly.once.support\":\"required\"}");
        check(r.statusCode() / 100 == 2, "create source: %d %s", r.statusCode(), r.body());
        r = put("/connectors/" + id + "-sink/config", "{\"connector.class\":\"pgkafka.compat.connect.LineFileSinkConnector\",\"tasks.max\":\"1\","
                + "\"file\":\"" + sink + "\",\"topics\":\"" + topic + "\",\"consumer.override.isolation.level\":\"read_committed\"}");
        check(r.statusCode() / 100 == 2, "create sink: %d %s", r.statusCode(), r.body());
        waitRunning(id + "-source");
        waitRunning(id + "-sink");
        Matrix.waitUntil("10,000 lines through the sink", Duration.ofSeconds(120), () -> {
            check(proc.isAlive(), "the worker exited: %s", tail());
            try {
                return sinkLines().size() >= FIRST;
            } catch (Exception e) {
                return false;
            }
        });
        List<String> lines = sinkLines();
        check(lines.size() == FIRST, "%d lines in the sink file", lines.size());
        for (int i = 0; i < FIRST; i++) {
            check(lines.get(i).equals("line " + i), "sink line %d: %s", i, lines.get(i));
        }
        // The worker's internal topics as Connect created them.
        Map<String, String> internal = new HashMap<>();
        var desc = admin.describeTopics(List.of(id + "-configs", id + "-offsets", id + "-status")).allTopicNames().get(60, TimeUnit.SECONDS);
        for (var e : desc.entrySet()) {
            var cfg = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, e.getKey()))).all().get(60, TimeUnit.SECONDS).values().iterator().next();
            check(cfg.get("cleanup.policy").value().equals("compact"), "%s cleanup.policy %s", e.getKey(), cfg.get("cleanup.policy").value());
            internal.put(e.getKey().substring(id.length() + 1), e.getValue().partitions().size() + "p/rf" + e.getValue().partitions().get(0).replicas().size());
        }
        return String.format("one distributed worker; LineFileSource -> topic -> LineFileSink moved %d lines in order; internal topics (compacted) %s", FIRST, internal);
    }

    String connectRestart() throws Exception {
        check(proc != null, "connect_distributed did not start a worker");
        // More lines trickle in (50 every 50 ms) while the worker runs; SIGKILL it while they are
        // on their way (the source sends at most 100 lines a transaction), then start it again.
        Thread writer = new Thread(() -> {
            try {
                for (int i = FIRST; i < FIRST + SECOND; i += 50) {
                    writeLines(i, i + 50);
                    Thread.sleep(50);
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, "line-writer");
        writer.start();
        int before = Matrix.waitUntil("the sink past line " + (FIRST + SECOND / 5), Duration.ofSeconds(60), () -> {
            try {
                int n = sinkLines().size();
                return n > FIRST + SECOND / 5 ? n : null;
            } catch (Exception e) {
                return null;
            }
        });
        proc.destroyForcibly().waitFor(); // SIGKILL
        writer.join();
        long endAtKill = admin.listOffsets(Map.of(new TopicPartition(topic, 0), OffsetSpec.latest())).all().get(60, TimeUnit.SECONDS)
                .get(new TopicPartition(topic, 0)).offset();
        startWorker();
        waitRunning(id + "-source");
        waitRunning(id + "-sink");
        int total = FIRST + SECOND;
        Matrix.waitUntil("every line through the sink", Duration.ofSeconds(120), () -> {
            check(proc.isAlive(), "the worker exited: %s", tail());
            try {
                return new HashSet<>(sinkLines()).size() >= total;
            } catch (Exception e) {
                return false;
            }
        });
        List<String> lines = sinkLines();
        Set<String> distinct = new HashSet<>(lines);
        for (int i = 0; i < total; i++) {
            check(distinct.contains("line " + i), "line %d lost", i);
        }
        check(distinct.size() == total, "%d distinct lines, want %d", distinct.size(), total);
        return String.format("%d more lines, worker SIGKILLed with %d lines in the sink (topic end offset %d) and restarted: all %d lines in the sink file, %d written twice (the sink is at-least-once: records after its last offset commit)",
                SECOND, before, endAtKill, total, lines.size() - distinct.size());
    }

    String connectExactlyOnceSource() throws Exception {
        check(proc != null, "connect_distributed did not start a worker");
        List<String> values = topicValues();
        int total = FIRST + SECOND;
        Set<String> distinct = new HashSet<>(values);
        check(values.size() == total && distinct.size() == total, "the topic holds %d records (%d distinct) at read_committed, want %d each", values.size(), distinct.size(), total);
        var tp = new TopicPartition(topic, 0);
        long end = admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get(60, TimeUnit.SECONDS).offset();
        check(end > total, "end offset %d: no transaction markers, so the source task did not write transactionally", end);
        String status = get("/connectors/" + id + "-source/status").body();
        proc.destroy();
        proc.waitFor(60, TimeUnit.SECONDS);
        proc.destroyForcibly();
        return String.format("exactly.once.source.support=enabled, exactly.once.support=required: after the SIGKILL the topic holds each of the %d lines once (read_committed); end offset %d counts %d transaction markers (commits and aborts)",
                total, end, end - total) + (status.contains("RUNNING") ? "" : " " + status);
    }

    public static void main(String[] args) throws Exception {
        ConnectMatrix c = new ConnectMatrix();
        Matrix m = new Matrix("kafka-connect", Clients.kafkaVersion());
        try {
            m.run("connect_default_replication_factor", Duration.ofSeconds(120), c::connectDefaultReplicationFactor);
            m.run("connect_distributed", Duration.ofSeconds(300), c::connectDistributed);
            m.run("connect_restart", Duration.ofSeconds(300), c::connectRestart);
            m.run("connect_exactly_once_source", Duration.ofSeconds(120), c::connectExactlyOnceSource);
        } finally {
            Proc.killAll();
            Proc.deleteTree(c.dir);
            Proc.deleteTree(c.rfDir);
        }
        m.finish();
    }
}
