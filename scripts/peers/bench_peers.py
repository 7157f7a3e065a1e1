#!/usr/bin/env python3
"""`make bench-peers`: pg_kafka, Apache Kafka (defaults, and an fsync per batch) and Tansu side by
side on this machine, with the same clients, interleaved, for PEERS_ROUNDS rounds.

Each round starts every broker fresh, in turn, and runs on it: the librdkafka scenarios
(tests/src/bin/bench_peers.rs), Kafka's own producer and consumer perf tools, and the broker's
peak resident memory. The last round also stores PEERS_RESTART_RECORDS records of 100 B and times
a restart to the first fetch. Prints one JSON line per (broker, scenario) with the median over
the rounds (and every round's figure in `runs`), then one ratio line per scenario. Figures only:
it never fails on a number. The brokers are started and stopped by scripts/peers/brokers.py.

    bench_peers.py --summarise target/peers/runs.jsonl   the JSON lines again, from a saved run
    bench_peers.py --table target/peers/runs.jsonl       the medians as a Markdown table
"""

import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import brokers  # noqa: E402
import java_perf  # noqa: E402

ENV = os.environ
BIN = ENV.get("PEERS_BENCH_BIN", "bench_peers")
ROUNDS = int(ENV.get("PEERS_ROUNDS", "2"))
SCALE = float(ENV.get("BENCH_SCALE", "1"))
JAVA_RECORDS = max(1, int(150_000 * SCALE))
RESTART_RECORDS = int(ENV.get("PEERS_RESTART_RECORDS", str(int(10_000_000 * SCALE))))
# The figure a ratio compares, and whether more is better.
METRICS = {"e2e": ("p99_ms", False), "restart": ("restart_ms", False), "peak_rss": ("rss_mb", False)}


def log(msg):
    print(f"bench-peers: {msg}", file=sys.stderr, flush=True)


def bench_env(broker):
    env = dict(ENV, PG_KAFKA_BOOTSTRAP=broker.bootstrap, BENCH_BROKER=broker.name,
               BENCH_PID=broker.pid())
    if broker.create_topic:
        env["BENCH_CREATE_TOPIC"] = broker.create_topic
    if broker.name == "pg_kafka":
        env["BENCH_PGURL"] = f"postgresql://postgres@127.0.0.1:{broker.pgport}/postgres"
    return env


def run_bin(broker, *args, check=True):
    out = subprocess.run([BIN, *args], env=bench_env(broker), check=check, stdout=subprocess.PIPE,
                         text=True)
    if out.returncode != 0:
        log(f"{broker.name}: bench_peers {' '.join(args)} exited with {out.returncode}")
    return out.stdout


def line(broker, client, scenario, **fields):
    base = {"broker": broker.name, "client": client, "scenario": scenario, "msgs_per_s": None,
            "mb_per_s": None, "p50_ms": None, "p99_ms": None, "rss_mb": None}
    base.update(fields)
    return base


def java_scenarios(broker, classpath, log4j):
    topic = f"peers-java-{broker.name}-{int(time.time() * 1000)}"
    run_bin(broker, "create", topic, "1")
    log(f"{broker.name}: Kafka's perf tools, {JAVA_RECORDS} x 1 KiB")
    out = []
    for scenario, measure in [
        ("produce_1024B_acks_all_java",
         lambda: java_perf.produce(classpath, log4j, broker.bootstrap, topic, JAVA_RECORDS, 1024)),
        ("consume_1024B_from_start_java",
         lambda: java_perf.consume(classpath, log4j, broker.bootstrap, topic, JAVA_RECORDS)),
    ]:
        try:
            out.append(line(broker, "java", scenario, **measure()))
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            # A client that cannot use the broker is a result too; the run goes on.
            log(f"{broker.name}: {scenario}: {e}")
            out.append(line(broker, "java", scenario, error=str(e)))
            break
    return out


def restart_scenario(broker):
    """Stores the records, stops the broker, and times its start until a fetch of the
    partition's last record answers (the stop is not timed)."""
    topic = f"peers-restart-{broker.name}-{int(time.time() * 1000)}"
    log(f"{broker.name}: storing {RESTART_RECORDS} x 100 B for the restart")
    name = "restart_to_first_fetch_100B"
    try:
        run_bin(broker, "fill", topic, str(RESTART_RECORDS), "100", "1")
        broker.stop()
        start = time.monotonic()
        broker.start()
        run_bin(broker, "first-fetch", topic, str(RESTART_RECORDS - 1))
    except (subprocess.CalledProcessError, RuntimeError) as e:
        log(f"{broker.name}: {name}: {e}")
        return line(broker, "librdkafka", name, records=RESTART_RECORDS, error=str(e))
    ms = round((time.monotonic() - start) * 1000)
    return line(broker, "librdkafka", name, records=RESTART_RECORDS, restart_ms=ms)


class Results(list):
    """Every round's lines, each also appended to target/peers/runs.jsonl as it comes, so a run
    cut short still leaves its figures (`bench_peers.py --summarise FILE` reads them back)."""

    def __init__(self, path):
        super().__init__()
        self.path = path
        open(path, "w").close()

    def __iadd__(self, lines):
        with open(self.path, "a") as f:
            f.writelines(json.dumps(l) + "\n" for l in lines)
        self.extend(lines)
        return self

    def append(self, l):
        self += [l]


def one_round(lineup, pg, classpath, log4j, last, results):
    names = [b.name for b in lineup]
    for broker in lineup:
        log(f"{broker.name}: fresh start")
        broker.fresh()
        try:
            lines = run_bin(broker, "run", check=False).splitlines()
            results += [json.loads(l) for l in lines if l.startswith("{")]
            results += java_scenarios(broker, classpath, log4j)
            results.append(line(broker, "-", "peak_rss", rss_mb=brokers.peak_rss_mb(broker.pid())))
            if last and RESTART_RECORDS > 0:
                results.append(restart_scenario(broker))
        finally:
            # Tansu's database lives in the pg_kafka cluster: that stops after Tansu.
            if broker.name != "pg_kafka" or "tansu" not in names:
                broker.stop()
            if broker.name == "tansu":
                pg.stop()


def metric_of(scenario):
    for prefix, m in METRICS.items():
        if scenario.startswith(prefix):
            return m
    return ("msgs_per_s", True)


def summarise(all_runs):
    by_key = {}
    for r in all_runs:
        by_key.setdefault((r["scenario"], r["broker"]), []).append(r)
    medians = {}
    for (scenario, name), runs in by_key.items():
        out = dict(runs[-1])
        for field in ("msgs_per_s", "mb_per_s", "p50_ms", "p99_ms", "p999_ms", "rss_mb",
                      "restart_ms"):
            values = [r[field] for r in runs if r.get(field) is not None]
            if values:
                out[field] = round(statistics.median(values), 3)
        metric, _ = metric_of(scenario)
        out["runs"] = [r.get(metric) for r in runs]
        medians[(scenario, name)] = out
        print(json.dumps(out), flush=True)
    for scenario in dict.fromkeys(s for s, _ in by_key):
        metric, more_is_better = metric_of(scenario)
        ours = medians.get((scenario, "pg_kafka"), {}).get(metric)
        ratios = {}
        for (s, name), v in medians.items():
            if s == scenario and name != "pg_kafka" and ours and v.get(metric):
                # Above 1 means pg_kafka is better, whichever way the metric points.
                ratios[f"pg_kafka/{name}"] = round(ours / v[metric] if more_is_better
                                                   else v[metric] / ours, 3)
        print(json.dumps({"scenario": scenario, "ratio_of": metric, "ratios": ratios}),
              flush=True)


def table(all_runs):
    """The medians as the Markdown table docs/performance.md carries: one row per scenario, one
    column per broker, each cell the figure its ratio compares."""
    names = list(dict.fromkeys(r["broker"] for r in all_runs))
    cells = {}
    for r in all_runs:
        metric, _ = metric_of(r["scenario"])
        if r.get(metric) is not None:
            cells.setdefault((r["scenario"], r["broker"]), []).append(r[metric])
        elif r.get("error"):
            cells.setdefault((r["scenario"], r["broker"]), [])
    print("| scenario (figure) | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for scenario in dict.fromkeys(r["scenario"] for r in all_runs):
        metric, _ = metric_of(scenario)
        row = []
        for n in names:
            v = cells.get((scenario, n))
            row.append("" if v is None else "failed" if not v else f"{statistics.median(v):,.1f}"
                       if metric.endswith("_ms") or metric == "rss_mb" else
                       f"{statistics.median(v):,.0f}")
        print(f"| {scenario} ({metric}) | " + " | ".join(row) + " |")


def main():
    pg = brokers.PgKafka(ENV)
    lineup = {"pg_kafka": pg, "tansu": brokers.Tansu(ENV, pg),
              "kafka": brokers.Kafka(ENV, fsync=False), "kafka_fsync": brokers.Kafka(ENV, fsync=True)}
    chosen = ENV.get("PEERS_BROKERS", ",".join(lineup)).split(",")
    # Tansu stores into the pg_kafka cluster's Postgres, so pg_kafka runs first.
    chosen = [n for n in lineup if n in chosen or (n == "pg_kafka" and "tansu" in chosen)]
    os.makedirs(brokers.PEERS, exist_ok=True)
    log4j = java_perf.quiet_log4j(brokers.PEERS)
    classpath = ENV["PEERS_KAFKA_CLASSPATH"]
    runs = Results(os.path.join(brokers.PEERS, "runs.jsonl"))
    try:
        for r in range(ROUNDS):
            log(f"round {r + 1} of {ROUNDS}")
            one_round([lineup[n] for n in chosen], pg, classpath, log4j, r == ROUNDS - 1, runs)
    finally:
        for b in lineup.values():
            b.stop()
    summarise(runs)


if __name__ == "__main__":
    if sys.argv[1:2] in (["--summarise"], ["--table"]):
        with open(sys.argv[2]) as f:
            lines = [json.loads(l) for l in f if l.strip()]
        (summarise if sys.argv[1] == "--summarise" else table)(lines)
    else:
        main()
