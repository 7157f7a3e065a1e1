"""Exactly-once with confluent-kafka-python (librdkafka in its wheel) against pg_kafka:
transactional consume-transform-produce (committed output visible to read_committed consumers,
aborted output only to read_uncommitted ones, consumer offsets committed only with the
transaction) and fencing of a zombie producer that shares a transactional.id.

Reads stop at a non-transactional sentinel record produced after everything else, so no test
waits for "nothing more arrives"; PATIENCE is only a safety net against hangs."""

import time

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import PATIENCE, unique

SENTINEL = b"--sentinel--"

FENCED_CODES = {
    KafkaError._FENCED,
    KafkaError.PRODUCER_FENCED,
    KafkaError.INVALID_PRODUCER_EPOCH,
}


def create_topics(bootstrap, *topics):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(t, 1, 1) for t in topics])
    for t in topics:
        futures[t].result(timeout=PATIENCE)


def plain_produce(bootstrap, topic, values):
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": False})
    errors = []

    def report(err, _msg):
        if err is not None:
            errors.append(err)

    for v in values:
        p.produce(topic, value=v, partition=0, on_delivery=report)
    assert p.flush(PATIENCE) == 0, "undelivered records"
    assert errors == []


def txn_producer(bootstrap, txn_id):
    return Producer({
        "bootstrap.servers": bootstrap,
        "transactional.id": txn_id,
        "transaction.timeout.ms": 60000,
        "acks": "all",
        "linger.ms": 5,
    })


def read_until_sentinel(bootstrap, topic, isolation):
    """Values of topic/0 from the start up to (excluding) the sentinel, as seen with `isolation`."""
    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": unique("py-eos-reader"),
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "isolation.level": isolation,
        "fetch.wait.max.ms": 100,
    })
    c.assign([TopicPartition(topic, 0, 0)])
    out = []
    try:
        deadline = time.monotonic() + PATIENCE
        while True:
            assert time.monotonic() < deadline, \
                f"{isolation}: no sentinel in {topic} after {len(out)} records: {out}"
            m = c.poll(0.2)
            if m is None:
                continue
            assert m.error() is None, f"{isolation} consumer of {topic}: {m.error()}"
            if m.value() == SENTINEL:
                return out
            out.append(m.value())
    finally:
        c.close()


def consume_n(consumer, n):
    """Exactly n records, one poll at a time so position() is right after the last one."""
    got = []
    deadline = time.monotonic() + PATIENCE
    while len(got) < n:
        assert time.monotonic() < deadline, f"only {len(got)} of {n} input records arrived"
        m = consumer.poll(0.2)
        if m is None:
            continue
        assert m.error() is None, f"input consumer: {m.error()}"
        got.append(m)
    return got


def committed_offset(bootstrap, group, topic):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        [tp] = c.committed([TopicPartition(topic, 0)], timeout=PATIENCE)
        assert tp.error is None, f"committed({topic}): {tp.error}"
        return tp.offset
    finally:
        c.close()


def test_consume_transform_produce_commit_then_abort(bootstrap):
    src = unique("py-eos-in")
    dst = unique("py-eos-out")
    group = unique("py-eos-group")
    chunk = 10
    create_topics(bootstrap, src, dst)
    plain_produce(bootstrap, src, [f"in-{i}".encode() for i in range(2 * chunk)])

    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "isolation.level": "read_committed",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": 10000,
        "heartbeat.interval.ms": 500,
    })
    producer = txn_producer(bootstrap, unique("py-eos-txn"))
    try:
        consumer.subscribe([src])
        producer.init_transactions(PATIENCE)

        def one_chunk():
            msgs = consume_n(consumer, chunk)
            producer.begin_transaction()
            for m in msgs:
                producer.produce(dst, value=b"out-" + m.value(), partition=0)
            # Deliver before ending: abort_transaction purges records not yet sent, and the
            # aborted records must reach the log for read_uncommitted to see them.
            assert producer.flush(PATIENCE) == 0, "undelivered transactional records"
            producer.send_offsets_to_transaction(
                consumer.position(consumer.assignment()),
                consumer.consumer_group_metadata(),
                PATIENCE,
            )
            return [b"out-" + m.value() for m in msgs], msgs[-1].offset()

        committed_values, last_committed = one_chunk()
        producer.commit_transaction(PATIENCE)
        aborted_values, last_aborted = one_chunk()
        producer.abort_transaction(PATIENCE)
    finally:
        consumer.close()

    assert committed_values == [f"out-in-{i}".encode() for i in range(chunk)]
    assert aborted_values == [f"out-in-{i}".encode() for i in range(chunk, 2 * chunk)]
    assert (last_committed, last_aborted) == (chunk - 1, 2 * chunk - 1)

    plain_produce(bootstrap, dst, [SENTINEL])
    assert read_until_sentinel(bootstrap, dst, "read_committed") == committed_values
    assert read_until_sentinel(bootstrap, dst, "read_uncommitted") == \
        committed_values + aborted_values
    # The offsets sent with the aborted transaction must not stick.
    assert committed_offset(bootstrap, group, src) == last_committed + 1


def test_zombie_producer_is_fenced(bootstrap):
    dst = unique("py-eos-fence")
    txn_id = unique("py-eos-fence-txn")
    create_topics(bootstrap, dst)

    zombie = txn_producer(bootstrap, txn_id)
    zombie.init_transactions(PATIENCE)
    zombie.begin_transaction()
    zombie.produce(dst, value=b"zombie-1", partition=0)
    assert zombie.flush(PATIENCE) == 0

    fresh = txn_producer(bootstrap, txn_id)
    # Bumps the epoch; the zombie's open transaction must be aborted.
    fresh.init_transactions(PATIENCE)

    zombie.produce(dst, value=b"zombie-2", partition=0)
    with pytest.raises(KafkaException) as exc:
        zombie.commit_transaction(PATIENCE)
    err = exc.value.args[0]
    assert err.code() in FENCED_CODES or err.fatal(), f"zombie commit failed with {err!r}"
    assert err.code() in FENCED_CODES, f"zombie commit failed, but not fenced: {err!r}"

    fresh.begin_transaction()
    fresh.produce(dst, value=b"fresh-1", partition=0)
    fresh.commit_transaction(PATIENCE)

    plain_produce(bootstrap, dst, [SENTINEL])
    assert read_until_sentinel(bootstrap, dst, "read_committed") == [b"fresh-1"]
    uncommitted = read_until_sentinel(bootstrap, dst, "read_uncommitted")
    assert b"fresh-1" in uncommitted and b"zombie-1" in uncommitted
