"""The brokers of `make bench-peers`, each started fresh on loopback and stopped by PID.

Owns their lifecycle and nothing else: pg_kafka on a cluster of its own (scripts/cluster.sh),
Apache Kafka 4.4.0 as a single KRaft node from the Maven jars the JVM client matrix resolves,
twice (Kafka's defaults, and an fsync per batch), and Tansu 0.6.0 with its PostgreSQL storage in a
database of the pg_kafka cluster. Every broker keeps its data and log under target/peers/.
"""

import os
import shutil
import signal
import socket
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PEERS = os.path.join(ROOT, "target", "peers")


def wait_port(port, secs=120, proc=None):
    deadline = time.time() + secs
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"broker on port {port} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {secs} s")


def peak_rss_mb(pid):
    """VmHWM (the peak resident set) of a process, in MB."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def stop_process(proc, secs=60):
    """SIGTERM one process we started, then SIGKILL it if it is still there after `secs`."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(secs)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class PgKafka:
    """pg_kafka on a fresh cluster of its own: scripts/cluster.sh with the bench's ports."""

    name = "pg_kafka"
    create_topic = None  # librdkafka's admin client

    def __init__(self, env):
        self.pgport = int(env["PEERS_PGPORT"])
        self.port = int(env["PEERS_PG_KAFKA_PORT"])
        self.env = dict(os.environ, PGBIN=env["PGBIN"], PGDATA=env["PEERS_PGDATA"],
                        PGPORT=str(self.pgport), PG_KAFKA_PORT=str(self.port),
                        PG_KAFKA_LOG_CACHE_SIZE=env.get("PG_KAFKA_LOG_CACHE_SIZE", "256MB"))
        self.pgdata = env["PEERS_PGDATA"]
        self.bootstrap = f"127.0.0.1:{self.port}"

    def cluster(self, *args):
        subprocess.run([os.path.join(ROOT, "scripts", "cluster.sh"), *args], env=self.env,
                       check=True, stdout=subprocess.DEVNULL)

    def psql(self, sql, db="postgres"):
        out = subprocess.run([os.path.join(self.env["PGBIN"], "psql"), "-XAtq", "-v",
                              "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.pgport),
                              "-U", "postgres", "-d", db, "-c", sql],
                             check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def fresh(self):
        self.cluster("stop")
        shutil.rmtree(self.pgdata, ignore_errors=True)
        self.start()

    def start(self):
        self.cluster("start")
        wait_port(self.port)

    def stop(self):
        self.cluster("stop")

    def pid(self):
        """The broker's background worker (a child of the postmaster)."""
        return self.psql("SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_kafka'")


class Spawned:
    """A broker that is one process of ours: started in its own session, stopped by its PID."""

    proc = None

    def launch(self, cmd, log, env=None):
        with open(log, "a") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True, env=env)
        wait_port(self.port, proc=self.proc)

    def stop(self):
        stop_process(self.proc)
        self.proc = None

    def pid(self):
        return str(self.proc.pid)


class Kafka(Spawned):
    """Apache Kafka 4.4.0, one KRaft node (broker and controller), 1 GiB heap."""

    def __init__(self, env, fsync):
        self.name = "kafka_fsync" if fsync else "kafka"
        self.port = int(env["PEERS_KAFKA_PORT"]) + (2 if fsync else 0)
        self.fsync = fsync
        self.classpath = env["PEERS_KAFKA_CLASSPATH"]
        self.dir = os.path.join(PEERS, self.name)
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.create_topic = None

    def java(self, *args):
        log4j = os.path.join(self.dir, "log4j2.properties")
        return ["java", "-Xms1g", "-Xmx1g", "-XX:+UseG1GC", f"-Dlog4j2.configurationFile={log4j}",
                "-cp", self.classpath, *args]

    def fresh(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        with open(os.path.join(self.dir, "log4j2.properties"), "w") as f:
            f.write("rootLogger.level = WARN\n"
                    "rootLogger.appenderRef.file.ref = FILE\n"
                    "appender.file.type = File\n"
                    "appender.file.name = FILE\n"
                    f"appender.file.fileName = {self.dir}/server.log\n"
                    "appender.file.layout.type = PatternLayout\n"
                    "appender.file.layout.pattern = [%d] %p %m (%c)%n\n")
        controller = self.port + 1
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.bootstrap.servers": f"127.0.0.1:{controller}",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{controller}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": os.path.join(self.dir, "data"),
            "num.partitions": "1",
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "true",
        }
        if self.fsync:
            # An fsync of the log after every batch appended: the durability of a commit.
            props["log.flush.interval.messages"] = "1"
        self.props = os.path.join(self.dir, "server.properties")
        with open(self.props, "w") as f:
            f.writelines(f"{k}={v}\n" for k, v in props.items())
        cluster_id = subprocess.run(self.java("kafka.tools.StorageTool", "random-uuid"),
                                    check=True, capture_output=True, text=True).stdout.strip()
        subprocess.run(self.java("kafka.tools.StorageTool", "format", "--standalone",
                                 "-t", cluster_id, "-c", self.props),
                       check=True, stdout=subprocess.DEVNULL)
        self.start()

    def start(self):
        self.launch(self.java("kafka.Kafka", self.props), os.path.join(self.dir, "stdout.log"))


class Tansu(Spawned):
    """Tansu 0.6.0 with its PostgreSQL storage engine in database `tansu` of the pg_kafka cluster."""

    name = "tansu"

    def __init__(self, env, pg):
        self.bin = env["PEERS_TANSU_BIN"]
        self.schema = env["PEERS_TANSU_SCHEMA"]
        self.port = int(env["PEERS_TANSU_PORT"])
        self.pg = pg
        self.dir = os.path.join(PEERS, "tansu")
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.create_topic = (f"{self.bin} topic create --broker tcp://{self.bootstrap} "
                             "--partitions {partitions} {topic} >/dev/null")

    def fresh(self):
        self.stop()
        os.makedirs(self.dir, exist_ok=True)
        self.pg.psql("DROP DATABASE IF EXISTS tansu")
        self.pg.psql("CREATE DATABASE tansu")
        subprocess.run([os.path.join(self.pg.env["PGBIN"], "psql"), "-Xq", "-v", "ON_ERROR_STOP=1",
                        "-h", "127.0.0.1", "-p", str(self.pg.pgport), "-U", "postgres",
                        "-d", "tansu", "-f", self.schema], check=True, stdout=subprocess.DEVNULL)
        self.start()

    def start(self):
        url = f"tcp://{self.bootstrap}"
        self.launch([self.bin, "broker", "--listener-url", url, "--advertised-listener-url", url,
                     "--storage-engine", f"postgres://postgres@127.0.0.1:{self.pg.pgport}/tansu"],
                    os.path.join(self.dir, "broker.log"), env=dict(os.environ, RUST_LOG="warn"))
