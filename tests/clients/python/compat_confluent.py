"""Compatibility matrix: confluent-kafka-python (librdkafka in its wheel)."""

import time

import confluent_kafka
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import (AdminClient, ConfigResource, NewPartitions, NewTopic,
                                   OffsetSpec)

from compat_common import (BOOTSTRAP, LONG_POLL_MAX_WAIT_MS, PATIENCE, Matrix, check_long_poll,
                           java_partition, unique, wait_until)

ADMIN = AdminClient({"bootstrap.servers": BOOTSTRAP})


def create(topic, partitions=1):
    ADMIN.create_topics([NewTopic(topic, partitions, 1)])[topic].result(timeout=PATIENCE)


def producer(**extra):
    conf = {"bootstrap.servers": BOOTSTRAP, "acks": "all", "enable.idempotence": False,
            "linger.ms": 5}
    conf.update(extra)
    return Producer(conf)


def produce_all(p, topic, records):
    """records: dicts of produce() kwargs; returns the delivered messages."""
    delivered, errors = [], []

    def report(err, msg):
        (errors if err is not None else delivered).append(err or msg)

    for r in records:
        p.produce(topic, on_delivery=report, **r)
    assert p.flush(PATIENCE) == 0, "undelivered records"
    assert errors == [], errors
    return delivered


def read(topic, n, partition=0, **extra):
    conf = {"bootstrap.servers": BOOTSTRAP, "group.id": unique("ck-reader"),
            "enable.auto.commit": False}
    conf.update(extra)
    c = Consumer(conf)
    c.assign([TopicPartition(topic, partition, 0)])
    got = []
    deadline = time.monotonic() + PATIENCE
    try:
        while len(got) < n:
            assert time.monotonic() < deadline, f"only {len(got)} of {n} records"
            m = c.poll(0.2)
            if m is None:
                continue
            assert m.error() is None, m.error()
            got.append(m)
    finally:
        c.close()
    return got


def metadata():
    topic = unique("ck-meta")
    create(topic, 3)
    md = wait_until(lambda: (lambda m: m if topic in m.topics else None)(ADMIN.list_topics(timeout=10)),
                    "topic in metadata")
    assert md.brokers, "no brokers"
    assert len(md.topics[topic].partitions) == 3
    return f"{len(md.brokers)} broker(s), controller {md.controller_id}"


def create_delete_topic():
    topic = unique("ck-cd")
    create(topic, 2)
    wait_until(lambda: topic in ADMIN.list_topics(timeout=10).topics, "created topic listed")
    ADMIN.delete_topics([topic])[topic].result(timeout=PATIENCE)
    wait_until(lambda: topic not in ADMIN.list_topics(timeout=10).topics, "deleted topic gone")


RECORDS = [
    {"key": b"k1", "value": b"v1", "headers": [("h", b"a"), ("h", b"b"), ("n", None)]},
    {"key": None, "value": b"no key"},
    {"key": b"null-value", "value": None},
    {"key": b"empty-value", "value": b""},
    {"key": b"", "value": b"empty key", "headers": [("e", b"")]},
]


def check_records(got):
    for want, m in zip(RECORDS, got):
        assert m.key() == want["key"], (m.key(), want["key"])
        assert m.value() == want["value"], (m.value(), want["value"])
        assert (m.headers() or []) == want.get("headers", []), (m.headers(), want.get("headers"))


def produce_consume():
    topic = unique("ck-pc")
    create(topic)
    produce_all(producer(), topic, RECORDS)
    got = read(topic, len(RECORDS))
    assert [m.offset() for m in got] == list(range(len(RECORDS)))
    check_records(got)
    return "keys, duplicate/null/empty headers, null and empty values and keys"


def codec(name):
    def run():
        topic = unique(f"ck-{name}")
        create(topic)
        values = [(f"{name} record {i} " * 20).encode() for i in range(100)]
        produce_all(producer(**{"compression.type": name, "linger.ms": 50}), topic,
                    [{"key": f"k{i}".encode(), "value": v} for i, v in enumerate(values)])
        got = read(topic, len(values))
        assert [m.value() for m in got] == values
    return run


def murmur2_partitioning():
    topic = unique("ck-murmur")
    create(topic, 7)
    keys = [f"key-{i}".encode() for i in range(60)] + [b"", b"x", b"\xff\xfe\x00"]
    msgs = produce_all(producer(partitioner="murmur2_random"), topic,
                       [{"key": k, "value": b"v"} for k in keys])
    bad = [(m.key(), m.partition(), java_partition(m.key(), 7)) for m in msgs
           if m.partition() != java_partition(m.key(), 7)]
    assert not bad, f"partition differs from Java murmur2: {bad[:5]}"
    return f"{len(keys)} keys over 7 partitions, partitioner=murmur2_random"


def list_offsets():
    topic = unique("ck-lo")
    create(topic)
    base = int(time.time() * 1000) - 60000
    produce_all(producer(), topic, [{"value": b"v", "timestamp": base + i * 1000} for i in range(5)])
    tp = TopicPartition(topic, 0)

    def ask(spec):
        return ADMIN.list_offsets({tp: spec}, request_timeout=PATIENCE)[tp].result(timeout=PATIENCE).offset

    assert ask(OffsetSpec.earliest()) == 0
    assert ask(OffsetSpec.latest()) == 5
    assert ask(OffsetSpec.for_timestamp(base + 2500)) == 3
    assert ask(OffsetSpec.max_timestamp()) == 4
    c = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": unique("ck-lo")})
    try:
        assert c.get_watermark_offsets(tp, timeout=PATIENCE) == (0, 5)
        got = c.offsets_for_times([TopicPartition(topic, 0, base + 1000)], timeout=PATIENCE)
        assert got[0].offset == 1, got
    finally:
        c.close()
    return "earliest, latest, by timestamp, max timestamp; consumer watermarks and offsets_for_times"


def group_consumer(group, **extra):
    conf = {"bootstrap.servers": BOOTSTRAP, "group.id": group, "auto.offset.reset": "earliest",
            "enable.auto.commit": False, "session.timeout.ms": 10000,
            "heartbeat.interval.ms": 500}
    conf.update(extra)
    return Consumer(conf)


def poll_values(c, n):
    got = []
    deadline = time.monotonic() + PATIENCE
    while len(got) < n:
        assert time.monotonic() < deadline, f"only {len(got)} of {n} records"
        m = c.poll(0.2)
        if m is None:
            continue
        assert m.error() is None, m.error()
        got.append(m)
    return got


def commit_some(topic, group, n_total, n_first):
    produce_all(producer(), topic, [{"value": f"v{i}".encode(), "partition": 0} for i in range(n_total)])
    first = group_consumer(group)
    first.subscribe([topic])
    got = poll_values(first, n_first)
    first.commit(message=got[-1], asynchronous=False)
    first.close()


def group_commit_resume():
    topic, group = unique("ck-resume"), unique("ck-resume-g")
    create(topic)
    commit_some(topic, group, 10, 6)
    second = group_consumer(group)
    second.subscribe([topic])
    try:
        rest = poll_values(second, 4)
        assert [m.offset() for m in rest] == [6, 7, 8, 9]
    finally:
        second.close()


def rebalance_two_members():
    topic, group = unique("ck-reb"), unique("ck-reb-g")
    create(topic, 4)
    a, b = group_consumer(group), group_consumer(group)
    a.subscribe([topic])
    try:
        wait_until(lambda: a.poll(0.1) is None and len(a.assignment()) == 4, "a owns all")
        b.subscribe([topic])

        def split():
            a.poll(0.1)
            b.poll(0.1)
            pa = {t.partition for t in a.assignment()}
            pb = {t.partition for t in b.assignment()}
            return pa and pb and not (pa & pb) and (pa | pb) == set(range(4)) and (pa, pb)

        pa, pb = wait_until(split, "two-member split", step=0)
        b.close()
        wait_until(lambda: a.poll(0.1) is None and len(a.assignment()) == 4, "a owns all again", step=0)
    finally:
        a.close()
    return f"split {sorted(pa)} / {sorted(pb)}, back to one member after leave"


def groups_list_describe_delete():
    topic, group = unique("ck-grp"), unique("ck-grp-g")
    create(topic)
    c = group_consumer(group)
    c.subscribe([topic])
    try:
        produce_all(producer(), topic, [{"value": b"x"}])
        m = poll_values(c, 1)[0]
        c.commit(message=m, asynchronous=False)
        listed = ADMIN.list_consumer_groups(request_timeout=PATIENCE).result(timeout=PATIENCE)
        assert group in {g.group_id for g in listed.valid}
        d = ADMIN.describe_consumer_groups([group], request_timeout=PATIENCE)[group].result(timeout=PATIENCE)
        assert len(d.members) == 1, d.members
        state = str(d.state)
    finally:
        c.close()
    wait_until(lambda: "EMPTY" in str(ADMIN.describe_consumer_groups([group])[group].result(timeout=PATIENCE).state).upper(),
               "group empty after close")
    ADMIN.delete_consumer_groups([group], request_timeout=PATIENCE)[group].result(timeout=PATIENCE)
    listed = ADMIN.list_consumer_groups(request_timeout=PATIENCE).result(timeout=PATIENCE)
    assert group not in {g.group_id for g in listed.valid}
    return f"described with state {state}"


def create_partitions():
    topic = unique("ck-cp")
    create(topic, 2)
    ADMIN.create_partitions([NewPartitions(topic, 4)])[topic].result(timeout=PATIENCE)
    wait_until(lambda: len(ADMIN.list_topics(topic, timeout=10).topics[topic].partitions) == 4,
               "4 partitions in metadata")
    produce_all(producer(), topic, [{"value": b"p3", "partition": 3}])
    assert read(topic, 1, partition=3)[0].value() == b"p3"


def idempotent_producer():
    topic = unique("ck-idem")
    create(topic)
    p = producer(**{"enable.idempotence": True})
    produce_all(p, topic, [{"value": f"i{i}".encode()} for i in range(5)])
    assert [m.value() for m in read(topic, 5)] == [f"i{i}".encode() for i in range(5)]


def transactions():
    topic = unique("ck-txn")
    create(topic)
    p = Producer({"bootstrap.servers": BOOTSTRAP, "transactional.id": unique("ck-txn-id")})
    p.init_transactions(30)
    p.begin_transaction()
    p.produce(topic, value=b"t")
    p.commit_transaction(30)
    got = read(topic, 1, **{"isolation.level": "read_committed"})
    assert got[0].value() == b"t"


def long_poll():
    topic = unique("ck-lp")
    create(topic)
    c = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": unique("ck-lp"),
                  "fetch.wait.max.ms": LONG_POLL_MAX_WAIT_MS, "socket.timeout.ms": 60000})
    try:
        c.assign([TopicPartition(topic, 0, 0)])
        assert c.poll(3.0) is None  # the consumer is now waiting in a long-poll fetch
        p = producer()
        t0 = time.monotonic()
        produce_all(p, topic, [{"value": b"late"}])
        deadline = t0 + LONG_POLL_MAX_WAIT_MS / 1000.0 + 10
        while True:
            m = c.poll(0.05)
            if m is not None:
                assert m.error() is None and m.value() == b"late"
                return check_long_poll(time.monotonic() - t0)
            assert time.monotonic() < deadline, "record never arrived"
    finally:
        c.close()


def describe_configs():
    topic = unique("ck-dc")
    create(topic)
    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    entries = ADMIN.describe_configs([res])[res].result(timeout=PATIENCE)
    for k in ("retention.ms", "cleanup.policy", "max.message.bytes"):
        assert k in entries, f"{k} missing from {sorted(entries)}"
    broker_id = next(iter(ADMIN.list_topics(timeout=10).brokers))
    bres = ConfigResource(ConfigResource.Type.BROKER, str(broker_id))
    bentries = ADMIN.describe_configs([bres])[bres].result(timeout=PATIENCE)
    assert bentries, "no broker configs"
    return f"topic: {len(entries)} entries, broker: {len(bentries)} entries"


def main():
    m = Matrix("confluent-kafka-python",
               f"{confluent_kafka.__version__} (librdkafka {confluent_kafka.libversion()[0]})")
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
