"""kafka-python (pure Python; opens with ApiVersions v4) against pg_kafka: produce, group consume
with commit and resume, and group administration through KafkaAdminClient."""

import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

from conftest import PATIENCE, unique


def admin(bootstrap):
    return KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000)


def produce(bootstrap, topic, values):
    # Plain acks=all produce (kafka-python 3 enables idempotence by default; the idempotent
    # path has its own tests in test_eos.py and the compatibility matrix).
    p = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False)
    futures = [p.send(topic, value=v, partition=0) for v in values]
    offsets = [f.get(timeout=PATIENCE).offset for f in futures]
    p.close()
    return offsets


def group_consumer(bootstrap, group, topic):
    return KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=10000,
        heartbeat_interval_ms=500,
    )


def poll_n(consumer, n):
    """Polls until n records arrived; returns them in order of arrival."""
    out = []
    deadline = time.monotonic() + PATIENCE
    while len(out) < n:
        assert time.monotonic() < deadline, f"only {len(out)} of {n} records arrived"
        for recs in consumer.poll(timeout_ms=200, max_records=n - len(out)).values():
            out.extend(recs)
    return out


def test_group_consume_commit_and_resume(bootstrap):
    topic = unique("py-kp-resume")
    group = unique("py-kp-resume-group")
    admin(bootstrap).create_topics([NewTopic(topic, 1, 1)])
    assert produce(bootstrap, topic, [f"v{i}".encode() for i in range(20)]) == list(range(20))

    first = group_consumer(bootstrap, group, topic)
    got = poll_n(first, 7)
    assert [r.offset for r in got] == list(range(7))
    first.commit()
    assert first.committed(TopicPartition(topic, 0)) == 7
    first.close()

    second = group_consumer(bootstrap, group, topic)
    rest = poll_n(second, 13)
    second.close()
    assert [(r.offset, r.value) for r in rest] == [(o, f"v{o}".encode()) for o in range(7, 20)]


def test_list_describe_and_delete_groups(bootstrap):
    topic = unique("py-kp-admin")
    group = unique("py-kp-admin-group")
    client = admin(bootstrap)
    client.create_topics([NewTopic(topic, 2, 1)])
    produce(bootstrap, topic, [b"x", b"y"])

    member = group_consumer(bootstrap, group, topic)
    poll_n(member, 2)
    member.commit()

    listed = {g["group_id"]: g for g in client.list_groups()}
    assert group in listed, listed.keys()
    assert listed[group]["protocol_type"] == "consumer"
    assert listed[group]["group_state"] == "Stable"
    # The states filter (ListGroups v4+) keeps a Stable group out of a search for Empty ones.
    assert group not in {g["group_id"] for g in client.list_groups(states_filter=["Empty"])}

    desc = client.describe_groups([group])[group]
    assert desc["error"] is None, desc
    assert desc["group_state"] == "Stable"
    assert desc["protocol_type"] == "consumer"
    assert len(desc["members"]) == 1
    (assigned,) = desc["members"][0]["member_assignment"]["assigned_partitions"]
    assert assigned["topic"] == topic
    assert sorted(assigned["partitions"]) == [0, 1]

    offsets = client.list_group_offsets(group)[group]
    assert offsets[TopicPartition(topic, 0)].offset == 2, offsets

    # A group with a live member cannot be deleted; once it is empty it can, and afterwards it
    # is neither listed nor holds offsets.
    assert client.delete_groups([group])[group] != "OK"
    member.close()
    assert client.delete_groups([group]) == {group: "OK"}
    assert group not in {g["group_id"] for g in client.list_groups()}
    assert client.list_group_offsets(group)[group] == {}
    client.close()
