"""Compatibility matrix: kafka-python (pure Python protocol code)."""

import time

import kafka
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewPartitions, NewTopic

from compat_common import (BOOTSTRAP, LONG_POLL_MAX_WAIT_MS, PATIENCE, Matrix, check_long_poll,
                           java_partition, unique, wait_until)

_admin = None


def admin():
    global _admin
    if _admin is None:
        _admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP, request_timeout_ms=30000)
    return _admin


def create(topic, partitions=1):
    admin().create_topics([NewTopic(topic, partitions, 1)])
    wait_until(lambda: topic in admin().list_topics(), "topic listed")


def producer(**extra):
    conf = dict(bootstrap_servers=BOOTSTRAP, acks="all", enable_idempotence=False, linger_ms=5)
    conf.update(extra)
    return KafkaProducer(**conf)


def send_all(p, topic, records):
    futures = [p.send(topic, **r) for r in records]
    p.flush(PATIENCE)
    out = [f.get(timeout=PATIENCE) for f in futures]
    p.close(timeout=10)
    return out


def read(topic, n, partition=0, **extra):
    c = KafkaConsumer(bootstrap_servers=BOOTSTRAP, enable_auto_commit=False, **extra)
    c.assign([TopicPartition(topic, partition)])
    c.seek_to_beginning()
    got = []
    deadline = time.monotonic() + PATIENCE
    try:
        while len(got) < n:
            assert time.monotonic() < deadline, f"only {len(got)} of {n} records"
            for recs in c.poll(timeout_ms=200).values():
                got.extend(recs)
    finally:
        c.close()
    return got


def metadata():
    topic = unique("kp-meta")
    create(topic, 3)
    c = KafkaConsumer(bootstrap_servers=BOOTSTRAP)
    try:
        parts = wait_until(lambda: c.partitions_for_topic(topic), "partitions")
        assert parts == {0, 1, 2}, parts
    finally:
        c.close()
    cluster = admin().describe_cluster()
    return f"{len(cluster['brokers'])} broker(s)"


def create_delete_topic():
    topic = unique("kp-cd")
    create(topic, 2)
    admin().delete_topics([topic])
    wait_until(lambda: topic not in admin().list_topics(), "deleted topic gone")


RECORDS = [
    {"key": b"k1", "value": b"v1", "headers": [("h", b"a"), ("h", b"b"), ("n", b"")]},
    {"key": None, "value": b"no key"},
    {"key": b"null-value", "value": None},
    {"key": b"empty-value", "value": b""},
    {"key": b"", "value": b"empty key", "headers": [("e", b"")]},
]


def produce_consume():
    topic = unique("kp-pc")
    create(topic)
    send_all(producer(), topic, [dict(r, partition=0) for r in RECORDS])
    got = read(topic, len(RECORDS))
    for want, m in zip(RECORDS, got):
        assert m.key == want["key"], (m.key, want["key"])
        assert m.value == want["value"], (m.value, want["value"])
        assert list(m.headers) == want.get("headers", []), (m.headers, want.get("headers"))
    return "keys, duplicate/empty headers, null and empty values and keys (the producer API refuses a null header value)"


def codec(name):
    def run():
        topic = unique(f"kp-{name}")
        create(topic)
        values = [(f"{name} record {i} " * 20).encode() for i in range(100)]
        send_all(producer(compression_type=name, linger_ms=50), topic,
                 [{"value": v, "partition": 0} for v in values])
        assert [m.value for m in read(topic, len(values))] == values
    return run


def murmur2_partitioning():
    topic = unique("kp-murmur")
    create(topic, 7)
    keys = [f"key-{i}".encode() for i in range(60)] + [b"x", b"\xff\xfe\x00"]
    metas = send_all(producer(), topic, [{"key": k, "value": b"v"} for k in keys])
    bad = [(k, m.partition, java_partition(k, 7)) for k, m in zip(keys, metas)
           if m.partition != java_partition(k, 7)]
    assert not bad, f"partition differs from Java murmur2: {bad[:5]}"
    return f"{len(keys)} keys over 7 partitions, default partitioner"


def list_offsets():
    topic = unique("kp-lo")
    create(topic)
    base = int(time.time() * 1000) - 60000
    send_all(producer(), topic, [{"value": b"v", "partition": 0, "timestamp_ms": base + i * 1000}
                                 for i in range(5)])
    tp = TopicPartition(topic, 0)
    c = KafkaConsumer(bootstrap_servers=BOOTSTRAP)
    try:
        assert c.beginning_offsets([tp])[tp] == 0
        assert c.end_offsets([tp])[tp] == 5
        assert c.offsets_for_times({tp: base + 2500})[tp].offset == 3
    finally:
        c.close()
    return "beginning_offsets, end_offsets, offsets_for_times"


def group_consumer(group, topic):
    return KafkaConsumer(topic, bootstrap_servers=BOOTSTRAP, group_id=group,
                         auto_offset_reset="earliest", enable_auto_commit=False,
                         session_timeout_ms=10000, heartbeat_interval_ms=500)


def poll_n(c, n):
    got = []
    deadline = time.monotonic() + PATIENCE
    while len(got) < n:
        assert time.monotonic() < deadline, f"only {len(got)} of {n} records"
        for recs in c.poll(timeout_ms=200, max_records=n - len(got)).values():
            got.extend(recs)
    return got


def group_commit_resume():
    topic, group = unique("kp-resume"), unique("kp-resume-g")
    create(topic)
    send_all(producer(), topic, [{"value": f"v{i}".encode(), "partition": 0} for i in range(10)])
    first = group_consumer(group, topic)
    got = poll_n(first, 6)
    assert [m.offset for m in got] == list(range(6))
    first.commit()
    first.close()
    second = group_consumer(group, topic)
    try:
        assert [m.offset for m in poll_n(second, 4)] == [6, 7, 8, 9]
    finally:
        second.close()


def rebalance_two_members():
    topic, group = unique("kp-reb"), unique("kp-reb-g")
    create(topic, 4)
    a = group_consumer(group, topic)
    try:
        wait_until(lambda: a.poll(timeout_ms=100) is not None and len(a.assignment()) == 4, "a owns all", step=0)
        b = group_consumer(group, topic)

        def split():
            a.poll(timeout_ms=100)
            b.poll(timeout_ms=100)
            pa = {t.partition for t in a.assignment()}
            pb = {t.partition for t in b.assignment()}
            return pa and pb and not (pa & pb) and (pa | pb) == set(range(4)) and (pa, pb)

        pa, pb = wait_until(split, "two-member split", step=0)
        b.close()
        wait_until(lambda: a.poll(timeout_ms=100) is not None and len(a.assignment()) == 4, "a owns all again", step=0)
    finally:
        a.close()
    return f"split {sorted(pa)} / {sorted(pb)}, back to one member after leave"


def groups_list_describe_delete():
    topic, group = unique("kp-grp"), unique("kp-grp-g")
    create(topic)
    send_all(producer(), topic, [{"value": b"x", "partition": 0}])
    c = group_consumer(group, topic)
    try:
        poll_n(c, 1)
        c.commit()
        assert group in {g["group_id"] for g in admin().list_groups()}
        d = admin().describe_groups([group])[group]
        assert d["error"] is None and len(d["members"]) == 1, d
        state = d.get("group_state")
    finally:
        c.close()
    wait_until(lambda: admin().describe_groups([group])[group].get("group_state") == "Empty", "group empty")
    res = admin().delete_groups([group])
    assert res in ({group: "OK"}, [(group, "OK")]), res
    assert group not in {g["group_id"] for g in admin().list_groups()}
    return f"list_groups, describe_groups (state {state}), delete_groups"


def create_partitions():
    topic = unique("kp-cp")
    create(topic, 2)
    admin().create_partitions({topic: NewPartitions(4)})
    c = KafkaConsumer(bootstrap_servers=BOOTSTRAP)
    try:
        wait_until(lambda: (c._client.cluster.request_update(), c.partitions_for_topic(topic) == {0, 1, 2, 3})[1],
                   "4 partitions", step=0.3)
    finally:
        c.close()
    send_all(producer(), topic, [{"value": b"p3", "partition": 3}])
    assert read(topic, 1, partition=3)[0].value == b"p3"


def idempotent_producer():
    topic = unique("kp-idem")
    create(topic)
    send_all(producer(enable_idempotence=True, max_block_ms=20000), topic,
             [{"value": f"i{i}".encode(), "partition": 0} for i in range(5)])
    assert [m.value for m in read(topic, 5)] == [f"i{i}".encode() for i in range(5)]


def transactions():
    topic = unique("kp-txn")
    create(topic)
    p = KafkaProducer(bootstrap_servers=BOOTSTRAP, transactional_id=unique("kp-txn-id"),
                      max_block_ms=20000)
    p.init_transactions()
    p.begin_transaction()
    p.send(topic, value=b"t", partition=0)
    p.commit_transaction()
    p.close(timeout=10)
    assert read(topic, 1, isolation_level="read_committed")[0].value == b"t"


def long_poll():
    topic = unique("kp-lp")
    create(topic)
    c = KafkaConsumer(bootstrap_servers=BOOTSTRAP, fetch_max_wait_ms=LONG_POLL_MAX_WAIT_MS,
                      request_timeout_ms=LONG_POLL_MAX_WAIT_MS + 30000)
    try:
        tp = TopicPartition(topic, 0)
        c.assign([tp])
        c.seek(tp, 0)
        assert c.poll(timeout_ms=3000) == {}
        p = producer()
        t0 = time.monotonic()
        send_all(p, topic, [{"value": b"late", "partition": 0}])
        got = poll_n(c, 1)
        assert got[0].value == b"late"
        return check_long_poll(time.monotonic() - t0)
    finally:
        c.close()


def describe_configs():
    topic = unique("kp-dc")
    create(topic)
    res = admin().describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)], config_filter="all")
    text = repr(res)
    for k in ("retention.ms", "cleanup.policy", "max.message.bytes"):
        assert k in text, f"{k} missing: {text[:300]}"
    bres = admin().describe_configs([ConfigResource(ConfigResourceType.BROKER, "0")], config_filter="all")
    assert "log.retention" in repr(bres) or "num.partitions" in repr(bres), repr(bres)[:300]


def main():
    m = Matrix("kafka-python", kafka.__version__)
    m.run("metadata", metadata)
    m.run("create_delete_topic", create_delete_topic)
    m.run("produce_consume", produce_consume)
    for name in ("gzip", "snappy", "lz4", "zstd"):
        m.run(f"codec_{name}", codec(name))
    m.run("murmur2_partitioning", murmur2_partitioning)
    m.run("list_offsets", list_offsets)
    m.run("group_commit_resume", group_commit_resume)
    m.run("rebalance_two_members", rebalance_two_members)
    m.run("groups_list_describe_delete", groups_list_describe_delete)
    m.run("create_partitions", create_partitions)
    m.run("idempotent_producer", idempotent_producer)
    m.run("transactions", transactions)
    m.run("long_poll", long_poll)
    m.run("describe_configs", describe_configs)
    m.finish()


if __name__ == "__main__":
    main()
