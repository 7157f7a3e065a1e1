"""Kafka's own perf tools (kafka-producer-perf-test, kafka-consumer-perf-test) as a bench client.

Runs org.apache.kafka.tools.ProducerPerformance and ConsumerPerformance from the Kafka 4.4.0 jars
and turns their summaries into the bench's fields. Owns the parsing of their output only.
"""

import os
import re
import subprocess


def _java(classpath, log4j, *args):
    return ["java", "-Xmx512m", f"-Dlog4j2.configurationFile={log4j}", "-cp", classpath, *args]


def _last_lines(out):
    text = (out.stdout + out.stderr).strip().splitlines()
    return " | ".join(dict.fromkeys(l.strip() for l in text[-6:]))[:600]


def quiet_log4j(directory):
    path = os.path.join(directory, "tools-log4j2.properties")
    with open(path, "w") as f:
        f.write("rootLogger.level = ERROR\n"
                "rootLogger.appenderRef.err.ref = ERR\n"
                "appender.err.type = Console\n"
                "appender.err.name = ERR\n"
                "appender.err.target = SYSTEM_ERR\n"
                "appender.err.layout.type = PatternLayout\n"
                "appender.err.layout.pattern = %p %m%n\n")
    return path


# "150000 records sent, 98039.2 records/sec (95.74 MB/sec), 95.31 ms avg latency, 280.00 ms max
# latency, 92 ms 50th, 170 ms 95th, 230 ms 99th, 270 ms 99.9th."
SUMMARY = re.compile(r"(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), "
                     r"([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, "
                     r"(\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99.9th")


def produce(classpath, log4j, bootstrap, topic, count, size):
    """acks=all, linger.ms=5, as fast as the broker takes them; latencies are per send."""
    out = subprocess.run(
        _java(classpath, log4j, "org.apache.kafka.tools.ProducerPerformance", "--topic", topic,
              "--num-records", str(count), "--record-size", str(size), "--throughput", "-1",
              "--command-property", f"bootstrap.servers={bootstrap}", "acks=all", "linger.ms=5",
              "enable.idempotence=false", "max.block.ms=30000", "delivery.timeout.ms=60000"),
        capture_output=True, text=True, timeout=1800)
    found = SUMMARY.findall(out.stdout)
    if out.returncode != 0 or not found:
        raise RuntimeError(f"ProducerPerformance failed: {_last_lines(out)}")
    sent, per_s, mb_s, _avg, _max, p50, _p95, p99, _p999 = found[-1]
    if int(sent) < count:
        raise RuntimeError(f"ProducerPerformance sent {sent} of {count}: {_last_lines(out)}")
    # Kafka's tool reports MB as 2^20 bytes; the bench reports 10^6.
    return {"records": int(sent), "msgs_per_s": float(per_s),
            "mb_per_s": round(float(mb_s) * 1048576 / 1e6, 2),
            "p50_ms": float(p50), "p99_ms": float(p99)}


def consume(classpath, log4j, bootstrap, topic, count):
    """Reads `count` records from the earliest offset in a fresh group; the rate is over the
    fetch time (the tool's fetch.nMsg.sec), so a group join does not count."""
    out = subprocess.run(
        _java(classpath, log4j, "org.apache.kafka.tools.ConsumerPerformance",
              "--bootstrap-server", bootstrap, "--topic", topic, "--messages", str(count),
              "--timeout", "120000"),
        capture_output=True, text=True, timeout=1800)
    lines = [l for l in out.stdout.splitlines() if l.strip()]
    header = next((i for i, l in enumerate(lines) if l.startswith("start.time")), None)
    if out.returncode != 0 or header is None or header + 1 >= len(lines):
        raise RuntimeError(f"ConsumerPerformance failed: {_last_lines(out)}")
    names = [n.strip() for n in lines[header].split(",")]
    values = [v.strip() for v in lines[header + 1].split(",")]
    row = dict(zip(names, values))
    return {"records": int(float(row["data.consumed.in.nMsg"])),
            "msgs_per_s": float(row["fetch.nMsg.sec"]),
            "mb_per_s": round(float(row["fetch.MB.sec"]) * 1048576 / 1e6, 2),
            "group_join_ms": float(row["rebalance.time.ms"])}
