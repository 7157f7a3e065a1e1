package pgkafka.compat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Child JVMs (Kafka's tools, a Streams application, a Connect worker) on this runner's class path. */
public final class Proc {
    private Proc() {}

    public static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    public static final String CLASSPATH = System.getProperty("java.class.path");

    public record Result(int exit, String out, String err) {
        public String both() {
            return out + "\n" + err;
        }
    }

    public static ProcessBuilder builder(String mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(JAVA, "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", CLASSPATH, mainClass));
        cmd.addAll(args);
        return new ProcessBuilder(cmd);
    }

    /** Runs a main class to its end (hang guard: timeout), feeding stdin. */
    public static Result run(Duration timeout, String stdin, String mainClass, String... args) throws IOException, InterruptedException {
        Path out = Files.createTempFile("pgkafka-tool", ".out"), err = Files.createTempFile("pgkafka-tool", ".err");
        try {
            ProcessBuilder pb = builder(mainClass, List.of(args)).redirectOutput(out.toFile()).redirectError(err.toFile());
            if (stdin == null) {
                pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            }
            Process p = pb.start();
            if (stdin != null) {
                try (var in = p.getOutputStream()) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError(mainClass + " did not finish within " + timeout.toSeconds() + "s: "
                        + tail(Files.readString(out)) + " / " + tail(Files.readString(err)));
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Runs a tool and insists on exit status 0. */
    public static String ok(String mainClass, String... args) throws IOException, InterruptedException {
        return okIn(null, mainClass, args);
    }

    public static String okIn(String stdin, String mainClass, String... args) throws IOException, InterruptedException {
        Result r = run(Duration.ofSeconds(90), stdin, mainClass, args);
        Matrix.check(r.exit() == 0, "%s %s exited %d: %s", mainClass, String.join(" ", args), r.exit(), tail(r.both()));
        return r.out();
    }

    public static String tail(String s) {
        s = s.strip();
        return s.length() > 400 ? "..." + s.substring(s.length() - 400) : s;
    }

    /** Runs PG_KAFKA_RESTART_CMD (the harness' broker restart); n-a when it is not set. */
    public static void restartBroker() throws IOException, InterruptedException {
        String cmd = System.getenv("PG_KAFKA_RESTART_CMD");
        if (cmd == null || cmd.isBlank()) {
            throw new Matrix.NotApplicable("PG_KAFKA_RESTART_CMD is not set: no broker restart available");
        }
        Process p = new ProcessBuilder("bash", "-c", cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Matrix.check(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, "broker restart failed: %s", cmd);
    }

    private static final List<Process> CHILDREN = new java.util.concurrent.CopyOnWriteArrayList<>();

    static {
        // A runner ended by its hang guard's SIGTERM takes its children with it.
        Runtime.getRuntime().addShutdownHook(new Thread(Proc::killAll));
    }

    /** Remembers a long-lived child so that killAll ends it. */
    public static Process track(Process p) {
        CHILDREN.add(p);
        return p;
    }

    /** SIGKILLs every tracked child still running (call before Matrix.finish, which halts). */
    public static void killAll() {
        for (Process p : CHILDREN) {
            p.destroyForcibly();
        }
    }

    /** Removes a scratch directory a scenario made (state dirs, worker files). */
    public static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // scratch space: a leftover is harmless
        }
    }

    public static boolean canRestartBroker() {
        String cmd = System.getenv("PG_KAFKA_RESTART_CMD");
        return cmd != null && !cmd.isBlank();
    }
}
