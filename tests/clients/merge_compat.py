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
]
# Scenarios no client is expected to pass yet (none today).
EXPECTED_UNSUPPORTED: dict = {}
# Per client: scenarios a client can only express with request versions the broker does not serve.
EXPECTED_UNSUPPORTED_BY_CLIENT = {
    ("sarama", "describe_configs"):
        "Sarama 1.22 sends DescribeConfigs v0 only; the broker serves v1+ (v0 was removed in Kafka 4.0, KIP-896)",
}
CLIENT_ORDER = ["kcat", "confluent-kafka-python", "kafka-python", "kafkajs", "sarama", "rdkafka"]

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
    clients = sorted({c for c, _ in rows}, key=lambda c: (CLIENT_ORDER.index(c) if c in CLIENT_ORDER else 99, c))
    red = []
    table = []
    for c in clients:
        version = next(r["version"] for (cc, _), r in rows.items() if cc == c)
        for s in SCENARIOS:
            r = rows.get((c, s))
            if r is None:
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
