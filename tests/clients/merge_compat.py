#!/usr/bin/env python3
"""Merge the matrix results (target/compat/*.jsonl) into docs/compatibility.md.

Exit status 1 (the run is red) when a scenario that is expected to work failed, or a client's
results are missing a scenario (its runner crashed or was not run). Scenarios in
EXPECTED_UNSUPPORTED that fail are recorded as expected-unsupported and keep the run green.
The "Known deviations" section is kept from the existing doc (everything from its heading on).
"""

import datetime
import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
COMPAT_DIR = os.environ.get("PG_KAFKA_COMPAT_DIR", os.path.join(REPO, "target", "compat"))
DOC = os.environ.get("PG_KAFKA_COMPAT_DOC", os.path.join(REPO, "docs", "compatibility.md"))

SCENARIOS = [
    "metadata", "create_delete_topic", "produce_consume", "codec_gzip", "codec_snappy",
    "codec_lz4", "codec_zstd", "murmur2_partitioning", "list_offsets", "group_commit_resume",
    "rebalance_two_members", "groups_list_describe_delete", "create_partitions",
    "idempotent_producer", "transactions", "long_poll", "describe_configs",
    # Admin and exactly-once (issue 16).
    "describe_cluster", "alter_configs", "admin_delete_records", "list_offsets_max_timestamp",
    "admin_acls", "txn_offset_commit",
    # The same group scenarios under the classic protocol and under KIP-848
    # (group.protocol=consumer): a commit from an assign()-only consumer (no membership), a regex
    # subscription, an assignment grown through assign().
    "simple_commit_assign", "regex_subscribe", "assign_grow",
    "kip848_commit_resume", "kip848_rebalance", "kip848_simple_commit_assign",
    "kip848_regex_subscribe", "kip848_assign_grow",
]
# JVM applications and tools, each with scenarios of its own (a table of their own in the doc).
APP_SCENARIOS = {
    "kafka-tools": ["cli_topics", "cli_console", "cli_consumer_groups", "cli_configs", "cli_get_offsets",
                    "cli_perf", "verifiable_restart"],
    "kafka-streams": ["streams_eos"],
    "kafka-connect": ["connect_default_replication_factor", "connect_distributed", "connect_restart",
                      "connect_exactly_once_source"],
}
# Scenarios added after a client's runner was written and not written for it yet: reported as
# n-a with this note rather than as a crashed runner.
NOT_WRITTEN = "not written for this client yet (issue 16 wrote it for the JVM and Go clients and librdkafka)"
NOT_COVERED = {
    "kcat": SCENARIOS[17:],
    "kafka-python": SCENARIOS[17:],
    "kafkajs": SCENARIOS[17:],
}
# Scenarios no client is expected to pass yet (none today).
EXPECTED_UNSUPPORTED: dict = {}
# Per client: scenarios that need a broker fix or request versions the broker
# does not serve. A note beginning "pending broker fix:" names work for the broker; drop the entry
# when the fix lands (the row then reads "passes although listed as expected-unsupported").
EXPECTED_UNSUPPORTED_BY_CLIENT: dict = {}
CLIENT_ORDER = ["java-client", "java-client-3.9", "franz-go", "sarama", "kafka-go", "confluent-kafka-python",
                "kcat", "kafka-python", "kafkajs", "rdkafka"]

# The Rust rdkafka crate is covered by the cargo black-box tests (tests/tests); `make blackbox`
# writes their exit status to rdkafka.rc, and these rows reflect it.
RDKAFKA = {
    "metadata": "tests/tests/topic_admin.rs",
    "create_delete_topic": "tests/tests/topic_admin.rs",
    "produce_consume": "tests/tests/round_trip.rs (keys, headers, nulls)",
    "codec_gzip": "tests/tests/compression.rs",
    "codec_snappy": "tests/tests/compression.rs",
    "codec_lz4": "tests/tests/compression.rs",
    "codec_zstd": "tests/tests/compression.rs",
    "list_offsets": "tests/tests/list_offsets.rs",
    "group_commit_resume": "tests/tests/consumer_groups.rs, groups_restart.rs",
    "rebalance_two_members": "tests/tests/groups_assignment.rs, groups_cooperative.rs",
}

DEVIATIONS_HEADING = "## Known deviations"

DEFAULT_DEVIATIONS = DEVIATIONS_HEADING + "\n\n(none recorded)\n"

LEGEND = """Results: **pass**; **fail** (expected to work and did not: the run is red);
**n-a** (the client cannot express the scenario; the note says why); **expected-unsupported**
(the broker does not serve it yet; listed in `tests/clients/merge_compat.py` so the run stays
green; a pass there is reported, not hidden)."""


def load():
    rows = {}
    for path in sorted(glob.glob(os.path.join(COMPAT_DIR, "*.jsonl"))):
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                r = json.loads(line)
                rows[(r["client"], r["scenario"])] = r
    return rows


def rdkafka_rows():
    rc_path = os.path.join(COMPAT_DIR, "rdkafka.rc")
    version = "see Cargo.lock"
    try:
        lock = open(os.path.join(REPO, "Cargo.lock"), encoding="utf-8").read()
        i = lock.index('name = "rdkafka"\n')
        version = lock[i:].split("\n")[1].split('"')[1]
        # rdkafka-sys' version carries the bundled librdkafka's: 4.10.0+2.12.1.
        j = lock.index('name = "rdkafka-sys"\n')
        bundled = lock[j:].split("\n")[1].split('"')[1].split("+")[1]
        version = f"{version} (librdkafka {bundled}, built from rdkafka-sys' source)"
    except (OSError, ValueError, IndexError):
        pass
    rc = open(rc_path).read().strip() if os.path.exists(rc_path) else None
    out = {}
    for s in SCENARIOS:
        if rc is None:
            res, note = "n-a", "the cargo black-box tests did not run in this invocation (make compat alone)"
        elif s in RDKAFKA:
            res = "pass" if rc == "0" else "fail"
            note = f"cargo black-box test {RDKAFKA[s]}" + ("" if rc == "0" else f" (cargo test exit {rc})")
        else:
            res, note = "n-a", "not exercised by the cargo tests; librdkafka is covered via kcat and confluent-kafka-python"
        out[("rdkafka", s)] = {"client": "rdkafka", "version": version, "scenario": s,
                               "result": res, "note": note}
    return out


def main():
    rows = load()
    rows.update(rdkafka_rows())
    order = CLIENT_ORDER + list(APP_SCENARIOS)
    every = sorted({c for c, _ in rows}, key=lambda c: (order.index(c) if c in order else 99, c))
    clients = [c for c in every if c not in APP_SCENARIOS]
    apps = [c for c in every if c in APP_SCENARIOS]
    red = []
    table = []
    for c in every:
        version = next(r["version"] for (cc, _), r in rows.items() if cc == c)
        for s in APP_SCENARIOS.get(c, SCENARIOS):
            r = rows.get((c, s))
            if r is None and s in NOT_COVERED.get(c, ()):
                res, note = "n-a", NOT_WRITTEN
            elif r is None:
                res, note = "fail", "no result: the runner crashed or did not run"
            else:
                res, note = r["result"], r.get("note", "")
            expected = EXPECTED_UNSUPPORTED_BY_CLIENT.get((c, s)) or EXPECTED_UNSUPPORTED.get(s)
            if expected:
                if res == "fail":
                    res, note = "expected-unsupported", f"{expected}: {note}"
                elif res == "pass":
                    note = f"passes although listed as expected-unsupported: update the list. {note}"
            if res == "fail":
                red.append(f"{c} {s}: {note}")
            table.append((c, version, s, res, note))

    deviations = DEFAULT_DEVIATIONS
    if os.path.exists(DOC):
        text = open(DOC, encoding="utf-8").read()
        i = text.find(DEVIATIONS_HEADING)
        if i >= 0:
            deviations = text[i:]

    def cell(s):
        return str(s).replace("|", "\\|").replace("\n", " ")

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# Client compatibility",
        "",
        "<!-- Generated by tests/clients/merge_compat.py from target/compat/*.jsonl during `make test`;",
        "     edit only the \"Known deviations\" section by hand. -->",
        "",
        f"Matrix from the run of {now}. Each client runs every scenario against the broker that",
        "`make test` starts (`make compat` alone runs it against PG_KAFKA_BOOTSTRAP).",
        "",
    ]
    if os.environ.get("PG_KAFKA_COMPAT_RUN_NOTE"):
        out += [f"Run note: {os.environ['PG_KAFKA_COMPAT_RUN_NOTE']}", ""]
    out += [
        LEGEND,
        "",
        "## Summary",
        "",
        "| scenario | " + " | ".join(clients) + " |",
        "|---|" + "---|" * len(clients),
    ]
    by = {(c, s): res for c, _, s, res, _ in table}
    short = {"pass": "pass", "fail": "**FAIL**", "n-a": "n-a", "expected-unsupported": "exp-unsupported"}
    for s in SCENARIOS:
        out.append(f"| {s} | " + " | ".join(short.get(by.get((c, s)), by.get((c, s))) for c in clients) + " |")
    counts = {c: {k: sum(1 for cc, _, _, res, _ in table if cc == c and res == k) for k in short} for c in every}
    out += ["", "Per client: " + "; ".join(
        f"{c} {counts[c]['pass']} pass, {counts[c]['fail']} fail, {counts[c]['n-a']} n-a"
        + (f", {counts[c]['expected-unsupported']} exp-unsupported" if counts[c]["expected-unsupported"] else "")
        for c in every) + "."]
    if apps:
        out += ["", "## Kafka's tools, Streams and Connect", "",
                "Kafka 4.4.0's own command-line tools, a Kafka Streams application and a Kafka Connect",
                "worker (tests/clients/java), each with scenarios of its own.", "",
                "| application | scenario | result | note |", "|---|---|---|---|"]
        for c, v, s, res, note in table:
            if c in APP_SCENARIOS:
                out.append(f"| {cell(c)} | {s} | {short.get(res, res)} | {cell(note)} |")
    out += ["", "## Results", "", "| client | version | scenario | result | note |", "|---|---|---|---|---|"]
    for c, v, s, res, note in table:
        out.append(f"| {cell(c)} | {cell(v)} | {s} | {res} | {cell(note)} |")
    out += ["", deviations.rstrip(), ""]
    os.makedirs(os.path.dirname(DOC), exist_ok=True)
    with open(DOC, "w", encoding="utf-8") as f:
        f.write("\n".join(out))
    print(f"wrote {DOC}: {len(table)} results, {len(red)} unexpected failures")
    for r in red:
        print(f"  FAIL {r}", file=sys.stderr)
    if not clients:
        print("no results found in " + COMPAT_DIR, file=sys.stderr)
        return 1
    return 1 if red else 0


if __name__ == "__main__":
    sys.exit(main())
