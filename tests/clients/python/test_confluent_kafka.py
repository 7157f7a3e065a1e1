"""confluent-kafka-python (librdkafka bundled in its wheel) against pg_kafka: two members of one
group split a 6-partition topic, and a new member resumes at the committed offsets."""

import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import PATIENCE, unique

PARTITIONS = 6


def create_topic(bootstrap, topic, partitions):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, partitions, 1)])
    futures[topic].result(timeout=PATIENCE)


def produce(bootstrap, topic, records):
    """records: list of (partition, value); waits for every delivery report."""
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": False})
    errors = []

    def report(err, _msg):
        if err is not None:
            errors.append(err)

    for part, value in records:
        p.produce(topic, value=value, partition=part, on_delivery=report)
    assert p.flush(PATIENCE) == 0, "undelivered records"
    assert errors == []


def group_consumer(bootstrap, group, **extra):
    conf = {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "session.timeout.ms": 10000,
        "heartbeat.interval.ms": 500,
    }
    conf.update(extra)
    return Consumer(conf)


def test_two_members_split_six_partitions_disjointly(bootstrap):
    topic = unique("py-ck-split")
    group = unique("py-ck-split-group")
    create_topic(bootstrap, topic, PARTITIONS)

    a = group_consumer(bootstrap, group)
    b = group_consumer(bootstrap, group)
    a.subscribe([topic])
    b.subscribe([topic])
    try:
        deadline = time.monotonic() + PATIENCE
        while True:
            a.poll(0.1)
            b.poll(0.1)
            pa = {tp.partition for tp in a.assignment()}
            pb = {tp.partition for tp in b.assignment()}
            if pa and pb and not (pa & pb) and (pa | pb) == set(range(PARTITIONS)):
                break
            assert time.monotonic() < deadline, f"assignments never settled: {pa} / {pb}"
        assert len(pa) == 3 and len(pb) == 3, f"uneven split {pa} / {pb}"
    finally:
        a.close()
        b.close()


def test_a_new_member_resumes_at_the_committed_offset(bootstrap):
    topic = unique("py-ck-resume")
    group = unique("py-ck-resume-group")
    create_topic(bootstrap, topic, 1)
    produce(bootstrap, topic, [(0, f"v{i}".encode()) for i in range(20)])

    first = group_consumer(bootstrap, group)
    first.subscribe([topic])
    seen = []
    deadline = time.monotonic() + PATIENCE
    while len(seen) < 12:
        assert time.monotonic() < deadline, f"only {len(seen)} records arrived"
        m = first.poll(0.2)
        if m is None:
            continue
        assert m.error() is None, m.error()
        seen.append(m.offset())
        if len(seen) == 12:
            first.commit(message=m, asynchronous=False)
    assert seen == list(range(12))
    committed = first.committed([TopicPartition(topic, 0)], timeout=PATIENCE)
    assert committed[0].offset == 12
    first.close()

    second = group_consumer(bootstrap, group)
    second.subscribe([topic])
    rest = []
    deadline = time.monotonic() + PATIENCE
    while len(rest) < 8:
        assert time.monotonic() < deadline, f"only {len(rest)} records arrived after resume"
        m = second.poll(0.2)
        if m is None:
            continue
        assert m.error() is None, m.error()
        rest.append((m.offset(), m.value()))
    second.close()
    assert rest == [(o, f"v{o}".encode()) for o in range(12, 20)]
