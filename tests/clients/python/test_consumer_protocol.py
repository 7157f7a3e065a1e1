"""KIP-848, the consumer group protocol (group.protocol=consumer), with confluent-kafka's bundled
librdkafka: the broker assigns partitions (ConsumerGroupHeartbeat), two members split a topic
disjointly and completely, and a member resumes at the group's committed offsets."""

import time

from confluent_kafka import Consumer, TopicPartition

from conftest import PATIENCE, unique
from test_confluent_kafka import create_topic, produce

PARTITIONS = 6


def consumer(bootstrap, group):
    # Classic-only settings (session.timeout.ms, heartbeat.interval.ms,
    # partition.assignment.strategy) are refused by librdkafka under this protocol.
    return Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "group.protocol": "consumer",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )


def owned(c):
    return {tp.partition for tp in c.assignment()}


def test_two_members_split_a_topic_through_server_side_assignment(bootstrap):
    topic = unique("py-kip848-split")
    group = unique("py-kip848-split-group")
    create_topic(bootstrap, topic, PARTITIONS)

    a = consumer(bootstrap, group)
    b = consumer(bootstrap, group)
    a.subscribe([topic])
    b.subscribe([topic])
    deadline = time.monotonic() + PATIENCE
    while True:
        a.poll(0.1)
        b.poll(0.1)
        pa, pb = owned(a), owned(b)
        if pa and pb and pa | pb == set(range(PARTITIONS)) and not pa & pb:
            break
        assert time.monotonic() < deadline, f"no disjoint complete split: {pa} {pb}"
    assert {len(pa), len(pb)} == {PARTITIONS // 2}, "the uniform assignor balances the members"

    b.close()
    deadline = time.monotonic() + PATIENCE
    while owned(a) != set(range(PARTITIONS)):
        a.poll(0.1)
        assert time.monotonic() < deadline, f"survivor owns {owned(a)}"
    a.close()


def test_a_member_resumes_at_the_committed_offsets(bootstrap):
    topic = unique("py-kip848-resume")
    group = unique("py-kip848-resume-group")
    create_topic(bootstrap, topic, 1)
    produce(bootstrap, topic, [(0, f"v{i}".encode()) for i in range(20)])

    first = consumer(bootstrap, group)
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

    second = consumer(bootstrap, group)
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
