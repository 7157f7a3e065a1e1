"""Retention and compaction, black-box: confluent-kafka produces and consumes, kcat reads the
log, and `SELECT kafka.run_cleaner()` (psql against PG_KAFKA_PGURL) runs a full pass now.

Each test makes its own topics, so the passes other tests run do not change what it checks:
a pass only removes what a topic's own configs say may go.
"""

import os
import shutil
import subprocess
import threading
import time

import pytest
from confluent_kafka import (
    Consumer,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewTopic,
)

from conftest import PATIENCE, unique

PGURL = os.environ.get("PG_KAFKA_PGURL", "postgresql://postgres@127.0.0.1:5433/postgres")
HOUR_MS = 3_600_000
COMPACT = {"cleanup.policy": "compact"}


def sql(query):
    """Rows of `query` (psql, unaligned, tab-separated)."""
    out = subprocess.run(
        ["psql", PGURL, "-XAtq", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", query],
        check=True,
        capture_output=True,
        text=True,
        timeout=PATIENCE,
    ).stdout
    return [line.split("\t") for line in out.splitlines() if line]


# While this module runs, passes come only from run_cleaner() (and the one test that shortens
# the interval): a scheduled pass between a test's produce and its checks would change what
# they see.
NO_SCHEDULED_PASSES = "2147483647ms"


def set_check_interval(value):
    """ALTER SYSTEM the cleaner's interval (None resets it) and reload."""
    if value is None:
        sql("ALTER SYSTEM RESET pg_kafka.log_retention_check_interval")
    else:
        sql(f"ALTER SYSTEM SET pg_kafka.log_retention_check_interval = '{value}'")
    sql("SELECT pg_reload_conf()")


@pytest.fixture(scope="module", autouse=True)
def only_asked_passes():
    set_check_interval(NO_SCHEDULED_PASSES)
    try:
        yield
    finally:
        set_check_interval(None)


def run_cleaner():
    cols = [
        "partitions", "bytes_examined", "batches_removed", "bytes_removed",
        "batches_rewritten", "rewritten_bytes_before", "rewritten_bytes_after",
        "log_starts_moved", "errors", "duration_ms",
    ]
    (row,) = sql("SELECT * FROM kafka.run_cleaner()")
    report = dict(zip(cols, map(int, row)))
    assert report["errors"] == 0, report
    return report


def admin(bootstrap):
    return AdminClient({"bootstrap.servers": bootstrap})


def create(bootstrap, configs, partitions=1, prefix="py-clean"):
    topic = unique(prefix)
    a = admin(bootstrap)
    fs = a.create_topics([NewTopic(topic, partitions, 1, config=configs)])
    fs[topic].result(timeout=PATIENCE)
    return topic


def alter(bootstrap, topic, **configs):
    res = ConfigResource(
        ConfigResource.Type.TOPIC,
        topic,
        incremental_configs=[
            ConfigEntry(k.replace("_", "."), v, incremental_operation=AlterConfigOpType.SET)
            for k, v in configs.items()
        ],
    )
    a = admin(bootstrap)
    for f in a.incremental_alter_configs([res]).values():
        f.result(timeout=PATIENCE)


def producer(bootstrap, **extra):
    # A linger far longer than a send()'s produce loop keeps its records in one batch (with 0
    # the first record can leave alone); flush() sends without waiting for the linger.
    conf = {"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 2000}
    conf.update(extra)
    return Producer(conf)


def send(p, topic, records, timestamp=None):
    """records: (key, value) pairs, sent as one batch; returns their offsets."""
    got, errors = [], []

    def report(err, msg):
        if err is not None:
            errors.append(err)
        else:
            got.append(msg.offset())

    for key, value in records:
        kw = {"timestamp": timestamp} if timestamp is not None else {}
        p.produce(topic, key=key, value=value, partition=0, on_delivery=report, **kw)
    assert p.flush(PATIENCE) == 0, "undelivered records"
    assert errors == [], errors
    return sorted(got)


def read_all(bootstrap, topic, isolation="read_uncommitted"):
    """Every record of partition 0 from the earliest offset: [(offset, key, value)]."""
    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": unique("py-clean-reader"),
        "enable.auto.commit": False,
        "isolation.level": isolation,
        "enable.partition.eof": True,
    })
    try:
        c.assign([TopicPartition(topic, 0, -2)])  # OFFSET_BEGINNING
        out = []
        deadline = time.monotonic() + PATIENCE
        while True:
            assert time.monotonic() < deadline, "no end of partition"
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    return out
                raise KafkaException(m.error())
            out.append((m.offset(), m.key(), m.value()))
    finally:
        c.close()


def watermarks(bootstrap, topic):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("py-clean-wm")})
    try:
        return c.get_watermark_offsets(TopicPartition(topic, 0), timeout=PATIENCE)
    finally:
        c.close()


def latest(records):
    """key -> (offset, value) of its last record."""
    out = {}
    for offset, key, value in records:
        out[key] = (offset, value)
    return out


def stats(topic):
    (row,) = sql(
        "SELECT log_start_offset, high_watermark, stored_bytes, stored_batches, "
        f"coalesce(dirty_ratio::text, '') FROM kafka.partition_stats WHERE topic = '{topic}'"
    )
    return row


def test_retention_ms_drops_old_batches_and_moves_the_earliest_offset(bootstrap):
    topic = create(bootstrap, {"retention.ms": str(HOUR_MS)})
    p = producer(bootstrap)
    old = int(time.time() * 1000) - 2 * HOUR_MS
    for i in range(5):
        send(p, topic, [(b"k", f"old{i}".encode())], timestamp=old + i)
    kept = send(p, topic, [(b"k", f"new{i}".encode()) for i in range(3)])
    assert watermarks(bootstrap, topic) == (0, 8)

    report = run_cleaner()
    assert report["batches_removed"] >= 5

    assert watermarks(bootstrap, topic) == (5, 8), "the log start moves, the high watermark stays"
    assert [r[0] for r in read_all(bootstrap, topic)] == kept
    rows = sql(f"SELECT min(\"offset\"), count(*) FROM kafka.records WHERE topic = '{topic}'")
    assert rows == [["5", "3"]], "kafka.records agrees on the log start"
    start, hw, stored_bytes, batches, _ = stats(topic)
    assert (start, hw, batches) == ("5", "8", "1")
    stored = sql(
        "SELECT count(*), sum(octet_length(b.batch)) FROM kafka.batches b JOIN kafka.topics t "
        f"USING (topic_id) WHERE t.name = '{topic}'"
    )
    assert stored == [[batches, stored_bytes]], "the view agrees with the table"


def test_retention_bytes_keeps_the_newest_batches_within_the_limit(bootstrap):
    topic = create(bootstrap, {"retention.bytes": "-1"})
    p = producer(bootstrap)
    for i in range(10):
        send(p, topic, [(b"k", bytes([i]) * 1000)])
    (size,) = sql(
        "SELECT max(octet_length(b.batch)) FROM kafka.batches b JOIN kafka.topics t "
        f"USING (topic_id) WHERE t.name = '{topic}'"
    )[0]
    limit = int(size) * 3 + 10
    alter(bootstrap, topic, retention_bytes=str(limit))
    run_cleaner()

    start, hw, stored_bytes, batches, _ = stats(topic)
    assert int(stored_bytes) <= limit
    assert (start, hw, batches) == ("7", "10", "3")
    assert [r[0] for r in read_all(bootstrap, topic)] == [7, 8, 9]


@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4", "zstd"])
def test_compaction_keeps_the_latest_of_each_key_at_its_offset(bootstrap, codec):
    topic = create(bootstrap, dict(COMPACT, **{"min.cleanable.dirty.ratio": "0.01"}))
    p = producer(bootstrap, **{"compression.type": codec})
    produced = []
    # Ten keys updated across twenty batches of five records each.
    for b in range(20):
        records = [(f"k{(b * 5 + i) % 10}".encode(), f"v{b}-{i}".encode()) for i in range(5)]
        offsets = send(p, topic, records)
        produced += [(o, k, v) for o, (k, v) in zip(offsets, records)]
    # The newest batch is never compacted: a filler keeps the keys' last updates out of it.
    send(p, topic, [(b"filler", b"x")])
    produced.append((100, b"filler", b"x"))
    expected = latest(produced)

    report = run_cleaner()
    assert report["batches_removed"] + report["batches_rewritten"] > 0, report
    assert report["bytes_examined"] > 0

    got = read_all(bootstrap, topic)
    assert latest(got) == expected
    assert len(got) == len(expected), "exactly one record per key"
    assert watermarks(bootstrap, topic) == (0, 101), "offsets never change"
    # Every stored batch still decodes in SQL (valid CRC and codec), with the same records.
    rows = sql(
        f"SELECT \"offset\", convert_from(key, 'UTF8'), convert_from(value, 'UTF8') "
        f"FROM kafka.records WHERE topic = '{topic}' ORDER BY 1"
    )
    assert [(int(o), k.encode(), v.encode()) for o, k, v in rows] == got
    # Compaction is idempotent: a second pass finds nothing more.
    again = run_cleaner()
    assert read_all(bootstrap, topic) == got
    assert again["errors"] == 0


def test_tombstones_are_kept_for_delete_retention_then_removed(bootstrap):
    delete_retention_s = 3
    topic = create(bootstrap, dict(COMPACT, **{"delete.retention.ms": str(delete_retention_s * 1000)}))
    p = producer(bootstrap)
    send(p, topic, [(b"a", b"1"), (b"b", b"1")])
    send(p, topic, [(b"a", None)])
    send(p, topic, [(b"b", b"2")])
    send(p, topic, [(b"filler", b"x")])

    # delete.retention.ms is counted from the pass that first kept the tombstone: a second pass
    # right after it keeps it too.
    run_cleaner()
    run_cleaner()
    got = read_all(bootstrap, topic)
    assert got == [(2, b"a", None), (3, b"b", b"2"), (4, b"filler", b"x")], got
    time.sleep(delete_retention_s + 0.5)
    run_cleaner()
    assert read_all(bootstrap, topic) == [(3, b"b", b"2"), (4, b"filler", b"x")]
    assert watermarks(bootstrap, topic)[1] == 5


def test_a_keyless_record_on_a_compacted_topic_is_refused(bootstrap):
    topic = create(bootstrap, COMPACT)
    p = producer(bootstrap, retries=0)
    errors = []
    p.produce(topic, value=b"no key", partition=0,
              on_delivery=lambda err, _m: errors.append(err))
    p.flush(PATIENCE)
    assert len(errors) == 1 and errors[0] is not None
    assert errors[0].code() == KafkaError.INVALID_RECORD, errors[0]
    assert watermarks(bootstrap, topic) == (0, 0)


def test_a_runtime_policy_change_acts_from_the_next_pass(bootstrap):
    topic = create(bootstrap, {"cleanup.policy": "delete", "retention.ms": "-1"})
    p = producer(bootstrap)
    for i in range(5):
        send(p, topic, [(b"same", f"v{i}".encode())])
    send(p, topic, [(b"filler", b"x")])
    run_cleaner()
    assert len(read_all(bootstrap, topic)) == 6, "delete with retention.ms=-1 keeps everything"

    alter(bootstrap, topic, cleanup_policy="compact")
    run_cleaner()
    assert read_all(bootstrap, topic) == [(4, b"same", b"v4"), (5, b"filler", b"x")]
    assert stats(topic)[4] != "", "a compacted topic has a dirty ratio"


def test_min_compaction_lag_keeps_young_records_out_of_compaction(bootstrap):
    topic = create(bootstrap, dict(COMPACT, **{
        "min.compaction.lag.ms": str(HOUR_MS), "min.cleanable.dirty.ratio": "0.01",
    }))
    p = producer(bootstrap)
    old = int(time.time() * 1000) - 2 * HOUR_MS
    for i in range(5):
        send(p, topic, [(b"k", f"old{i}".encode())], timestamp=old + i)
    for i in range(5):
        send(p, topic, [(b"k", f"new{i}".encode())])
    send(p, topic, [(b"filler", b"x")])

    run_cleaner()
    # The first batch younger than the lag ends the cleanable section: the old updates are
    # compacted among themselves, the young ones are not touched.
    got = read_all(bootstrap, topic)
    assert [(o, v) for o, _, v in got] == [(4, b"old4")] + [
        (5 + i, f"new{i}".encode()) for i in range(5)
    ] + [(10, b"x")], got

    alter(bootstrap, topic, min_compaction_lag_ms="0")
    run_cleaner()
    assert read_all(bootstrap, topic) == [(9, b"k", b"new4"), (10, b"filler", b"x")]


def test_max_compaction_lag_compacts_a_log_below_the_dirty_ratio(bootstrap):
    # Both topics' dirty share stays below a ratio of 1 (the newest batch is never dirty), so only
    # max.compaction.lag.ms can make a scheduled pass compact them; `run_cleaner()` would compact
    # both whatever their ratio, so the scheduled passes do the work here.
    never_due = dict(COMPACT, **{"min.cleanable.dirty.ratio": "1"})
    plain = create(bootstrap, never_due)
    overdue = create(bootstrap, dict(never_due, **{"max.compaction.lag.ms": "1000"}))
    p = producer(bootstrap)
    old = int(time.time() * 1000) - 2 * HOUR_MS

    def fill(topic, first):
        for i in range(5):
            send(p, topic, [(b"k", f"v{first + i}".encode())], timestamp=old + first + i)
        send(p, topic, [(b"filler", f"x{first}".encode())])

    def count(topic):
        return int(sql(f"SELECT count(*) FROM kafka.records WHERE topic = '{topic}'")[0][0])

    def wait_for(topic, n):
        deadline = time.monotonic() + 4 * PATIENCE
        while count(topic) != n:
            assert time.monotonic() < deadline, f"{topic} still holds {count(topic)} records"
            time.sleep(0.2)

    fill(plain, 0)
    fill(overdue, 0)
    set_check_interval("1s")
    try:
        wait_for(overdue, 2)
        # Produced after the pass that compacted it had passed it, so a later pass, which began
        # after `plain` was filled, compacts this; that pass did not compact `plain`.
        fill(overdue, 10)
        # The first filler stays: its key's next record is in the newest batch, never compacted.
        wait_for(overdue, 3)
    finally:
        set_check_interval(NO_SCHEDULED_PASSES)
    assert [(o, v) for o, _, v in read_all(bootstrap, overdue)] == [
        (5, b"x0"), (10, b"v14"), (11, b"x10"),
    ]
    assert count(plain) == 6, "the default max.compaction.lag.ms leaves a log below its ratio"
    run_cleaner()
    assert count(plain) == 2


def test_transactions_aborted_data_goes_markers_stay(bootstrap):
    topic = create(bootstrap, COMPACT)
    p = producer(bootstrap, **{"transactional.id": unique("py-clean-txn")})
    p.init_transactions(PATIENCE)

    def txn(records, commit):
        p.begin_transaction()
        for k, v in records:
            p.produce(topic, key=k, value=v, partition=0)
        p.flush(PATIENCE)
        if commit:
            p.commit_transaction(PATIENCE)
        else:
            p.abort_transaction(PATIENCE)

    txn([(b"a", b"1"), (b"b", b"1")], True)
    txn([(b"a", b"bad"), (b"c", b"bad")], False)
    txn([(b"a", b"2")], True)
    # A producer's five newest batches hold its sequence state and are never compacted.
    for i in range(5):
        txn([(f"later{i}".encode(), b"x")], True)
    control = (
        "SELECT count(*) FROM kafka.batches b JOIN kafka.topics t USING (topic_id) "
        f"WHERE t.name = '{topic}' AND (b.attributes & 32) <> 0"
    )
    bad = f"SELECT count(*) FROM kafka.records WHERE topic = '{topic}' AND value = 'bad'::bytea"
    assert sql(control) == [["8"]]
    assert sql(bad) == [["2"]]

    run_cleaner()
    assert sql(bad) == [["0"]], "aborted records are removed"
    assert sql(control) == [["8"]], "markers stay until delete.retention.ms has passed"
    committed = read_all(bootstrap, topic, "read_committed")
    later = {f"later{i}".encode(): (8 + 2 * i, b"x") for i in range(5)}
    assert latest(committed) == {b"b": (1, b"1"), b"a": (6, b"2"), **later}
    assert [o for o, k, _ in committed if k == b"a"] == [6], "only the latest of a"
    assert latest(read_all(bootstrap, topic)) == latest(committed)


def test_a_consumer_reading_during_compaction_sees_every_key_latest_value(bootstrap):
    topic = create(bootstrap, dict(COMPACT, **{"min.cleanable.dirty.ratio": "0.01"}))
    p = producer(bootstrap, **{"linger.ms": 5, "compression.type": "lz4"})
    expected = {}
    for round_ in range(40):
        records = [(f"key-{i}".encode(), f"{round_}-{i}".encode() * 20) for i in range(500)]
        for k, v in records:
            p.produce(topic, key=k, value=v, partition=0)
            expected[k] = v
        p.flush(PATIENCE)
    send(p, topic, [(b"filler", b"x")])
    expected[b"filler"] = b"x"

    seen = {}
    failure = []

    def consume():
        try:
            for _, k, v in read_all(bootstrap, topic):
                seen[k] = v
        except Exception as e:  # reported below
            failure.append(e)

    reader = threading.Thread(target=consume)
    reader.start()
    run_cleaner()
    reader.join(PATIENCE)
    assert not reader.is_alive() and failure == []
    assert seen == expected
    assert latest(read_all(bootstrap, topic)).keys() == expected.keys()


def test_kcat_reads_a_compacted_log_with_gaps(bootstrap):
    kcat = shutil.which("kcat") or shutil.which("kafkacat")
    if kcat is None:
        pytest.fail("kcat is not installed (make blackbox installs it)")
    topic = create(bootstrap, COMPACT)
    p = producer(bootstrap)
    for i in range(6):
        send(p, topic, [(f"k{i % 2}".encode(), f"v{i}".encode())])
    send(p, topic, [(b"filler", b"x")])
    run_cleaner()
    out = subprocess.run(
        [kcat, "-b", bootstrap, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q",
         "-f", "%o %k %s\n"],
        check=True, capture_output=True, text=True, timeout=PATIENCE,
    ).stdout
    assert out.splitlines() == ["4 k0 v4", "5 k1 v5", "6 filler x"]


def test_the_workers_deletes_reach_the_statistics_autovacuum_reads(bootstrap):
    """Autovacuum vacuums a table once its statistics count enough dead rows; the worker's
    inserts and the cleaner's deletes must be counted there like any backend's."""
    def counts():
        ((ins, dele),) = sql(
            "SELECT n_tup_ins, n_tup_del FROM pg_stat_all_tables "
            "WHERE relid = 'kafka.batches'::regclass"
        )
        return int(ins), int(dele)

    before = counts()
    topic = create(bootstrap, {"retention.ms": str(HOUR_MS)})
    p = producer(bootstrap)
    old = int(time.time() * 1000) - 2 * HOUR_MS
    for i in range(3):
        send(p, topic, [(b"k", b"old")], timestamp=old + i)
    send(p, topic, [(b"k", b"new")])
    assert run_cleaner()["batches_removed"] >= 3
    deadline = time.monotonic() + PATIENCE
    while True:
        ins, dele = counts()
        if ins >= before[0] + 4 and dele >= before[1] + 3:
            break
        assert time.monotonic() < deadline, f"statistics still at {ins} inserts, {dele} deletes"
        time.sleep(0.5)
