package pgkafka.compat;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * One column of the compatibility matrix, as tests/clients/python/compat_common.py does it: each
 * scenario runs once with a hang guard and yields pass (its note), n-a ({@link NotApplicable}) or
 * fail (anything else). Results go to $PG_KAFKA_COMPAT_DIR/&lt;client&gt;.jsonl, one JSON object a
 * line with client, version, scenario, result and note; merge_compat.py reads them.
 */
public final class Matrix {
    /** Hang guard per scenario, never a performance assertion. */
    public static final Duration SCENARIO_TIMEOUT = Duration.ofSeconds(120);
    public static final Duration PATIENCE = Duration.ofSeconds(60);
    public static final String BOOTSTRAP = env("PG_KAFKA_BOOTSTRAP", "127.0.0.1:9092");

    private static final AtomicLong COUNTER = new AtomicLong();

    private final String client;
    private final String version;
    private final PrintWriter out;

    /** A scenario: returns its note on success. */
    @FunctionalInterface
    public interface Scenario {
        String run() throws Exception;
    }

    /** The client cannot express the scenario. */
    public static final class NotApplicable extends RuntimeException {
        public NotApplicable(String why) {
            super(why);
        }
    }

    public Matrix(String client, String version) throws IOException {
        this.client = client;
        this.version = version;
        Path dir = Path.of(env("PG_KAFKA_COMPAT_DIR", "target/compat"));
        Files.createDirectories(dir);
        this.out = new PrintWriter(Files.newBufferedWriter(dir.resolve(client + ".jsonl"), StandardCharsets.UTF_8));
    }

    public static String env(String key, String dflt) {
        String v = System.getenv(key);
        return v == null || v.isEmpty() ? dflt : v;
    }

    public static String unique(String prefix) {
        return prefix + "-" + ProcessHandle.current().pid() + "-" + System.nanoTime() + "-" + COUNTER.incrementAndGet();
    }

    public static void check(boolean cond, String format, Object... args) {
        if (!cond) {
            throw new AssertionError(String.format(format, args));
        }
    }

    /** Polls pred until it returns non-null and not FALSE; fails after PATIENCE. */
    public static <T> T waitUntil(String what, Supplier<T> pred) {
        return waitUntil(what, PATIENCE, pred);
    }

    public static <T> T waitUntil(String what, Duration patience, Supplier<T> pred) {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            T v = pred.get();
            if (v != null && !Boolean.FALSE.equals(v)) {
                return v;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            sleep(100);
        }
    }

    public static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeException(e);
        }
    }

    public void na(String scenario, String why) {
        record(scenario, "n-a", why);
    }

    public void run(String scenario, Scenario fn) {
        run(scenario, SCENARIO_TIMEOUT, fn);
    }

    public void run(String scenario, Duration timeout, Scenario fn) {
        // PG_KAFKA_COMPAT_ONLY=a,b runs only those scenarios (a debugging aid; merge_compat.py
        // then reports the others as missing).
        String only = System.getenv("PG_KAFKA_COMPAT_ONLY");
        if (only != null && !only.isBlank() && !List.of(only.split(",")).contains(scenario)) {
            return;
        }
        FutureTask<String> task = new FutureTask<>(fn::run);
        Thread t = new Thread(task, "scenario-" + scenario);
        t.setDaemon(true);
        t.start();
        try {
            String note = task.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            record(scenario, "pass", note == null ? "" : note);
        } catch (TimeoutException e) {
            t.interrupt();
            record(scenario, "fail", "timed out after " + timeout.toSeconds() + "s");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof NotApplicable) {
                record(scenario, "n-a", cause.getMessage());
            } else {
                cause.printStackTrace(System.out);
                record(scenario, "fail", describe(cause));
            }
        } catch (InterruptedException e) {
            record(scenario, "fail", "interrupted");
        }
    }

    /** The exception and its causes, one line. */
    public static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = e; c != null && sb.length() < 600; c = c.getCause()) {
            if (sb.length() > 0) {
                sb.append(" <- ");
            }
            sb.append(c.getClass().getSimpleName()).append(": ").append(c.getMessage());
            if (c.getCause() == c) {
                break;
            }
        }
        return sb.toString();
    }

    private synchronized void record(String scenario, String result, String note) {
        note = note.replaceAll("\\s+", " ").trim();
        if (note.length() > 300) {
            note = note.substring(0, 300);
        }
        out.println("{\"client\": " + json(client) + ", \"version\": " + json(version) + ", \"scenario\": "
                + json(scenario) + ", \"result\": " + json(result) + ", \"note\": " + json(note) + "}");
        out.flush();
        System.out.println(client + " " + scenario + ": " + result + " " + note);
        System.out.flush();
    }

    static String json(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    /** Leave hard: a hung scenario's thread may hold clients whose close would block. */
    public void finish() {
        out.close();
        Runtime.getRuntime().halt(0);
    }

    /** Kafka's murmur2 (Utils.murmur2), written from its definition and checked on known answers. */
    public static int murmur2(byte[] data) {
        final int m = 0x5bd1e995;
        int length = data.length;
        int h = 0x9747b28c ^ length;
        int i = 0;
        for (; length - i >= 4; i += 4) {
            int k = (data[i] & 0xff) | ((data[i + 1] & 0xff) << 8) | ((data[i + 2] & 0xff) << 16) | ((data[i + 3] & 0xff) << 24);
            k *= m;
            k ^= k >>> 24;
            k *= m;
            h *= m;
            h ^= k;
        }
        switch (length - i) {
            case 3:
                h ^= (data[i + 2] & 0xff) << 16;
            case 2: // fall through
                h ^= (data[i + 1] & 0xff) << 8;
            case 1: // fall through
                h ^= data[i] & 0xff;
                h *= m;
            default:
        }
        h ^= h >>> 13;
        h *= m;
        h ^= h >>> 15;
        return h;
    }

    public static int javaPartition(byte[] key, int partitions) {
        return (murmur2(key) & 0x7fffffff) % partitions;
    }

    static {
        // Known answers from the Java client's own tests (UtilsTest.testMurmur2).
        check(murmur2("21".getBytes(StandardCharsets.UTF_8)) == -973932308, "murmur2 21");
        check(murmur2("foobar".getBytes(StandardCharsets.UTF_8)) == -790332482, "murmur2 foobar");
        check(murmur2("a-little-bit-long-string".getBytes(StandardCharsets.UTF_8)) == -985981536, "murmur2 long");
        check(murmur2("a-little-bit-longer-string".getBytes(StandardCharsets.UTF_8)) == -1486304829, "murmur2 longer");
        check(murmur2("abc".getBytes(StandardCharsets.UTF_8)) == 479470107, "murmur2 abc");
    }
}
