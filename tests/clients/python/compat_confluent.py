"""Compatibility matrix: confluent-kafka-python (librdkafka in its wheel)."""

import time

import confluent_kafka
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import (AclBinding, AclBindingFilter, AclOperation, AclPermissionType,
                                   AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource,
                                   NewPartitions, NewTopic, OffsetSpec, ResourcePatternType,
                                   ResourceType)

from compat_common import (BOOTSTRAP, LONG_POLL_MAX_WAIT_MS, PATIENCE, Matrix, NotApplicable,
                           check_long_poll, java_partition, unique, wait_until)

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


def read(topic, n, partition=0, _until=None, **extra):
    """n records of one partition from offset 0; with _until, the records before that value."""
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
            if _until is not None and m.value() == _until:
                break
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


def group_consumer(group, protocol="classic", **extra):
    conf = {"bootstrap.servers": BOOTSTRAP, "group.id": group, "auto.offset.reset": "earliest",
            "enable.auto.commit": False, "group.protocol": protocol}
    if protocol == "classic":
        # Under KIP-848 the broker owns session and heartbeat timing; librdkafka refuses these.
        conf.update({"session.timeout.ms": 10000, "heartbeat.interval.ms": 500})
    conf.update(extra)
    return Consumer(conf)


def group_type(group):
    """The group's type as the broker describes it: proves which protocol the members speak."""
    d = ADMIN.describe_consumer_groups([group], request_timeout=PATIENCE)[group].result(timeout=PATIENCE)
    return str(d.type).split(".")[-1]


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


def commit_some(topic, group, n_total, n_first, protocol="classic"):
    produce_all(producer(), topic, [{"value": f"v{i}".encode(), "partition": 0} for i in range(n_total)])
    first = group_consumer(group, protocol)
    first.subscribe([topic])
    got = poll_values(first, n_first)
    first.commit(offsets=[TopicPartition(topic, 0, n_first)], asynchronous=False)
    kind = group_type(group)
    first.close()
    return kind


def group_commit_resume(protocol="classic"):
    def run():
        topic, group = unique("ck-resume"), unique("ck-resume-g")
        create(topic)
        kind = commit_some(topic, group, 10, 6, protocol)
        want = "CONSUMER" if protocol == "consumer" else "CLASSIC"
        assert kind == want, f"group type {kind}, want {want}"
        second = group_consumer(group, protocol)
        second.subscribe([topic])
        try:
            rest = poll_values(second, 4)
            assert [m.offset() for m in rest] == [6, 7, 8, 9], [m.offset() for m in rest]
        finally:
            second.close()
        return f"group type {kind}; the next member resumes at 6"
    return run


def rebalance_two_members(protocol="classic"):
    def run():
        return _rebalance(protocol)
    return run


def _rebalance(protocol):
    topic, group = unique("ck-reb"), unique("ck-reb-g")
    create(topic, 4)
    a, b = group_consumer(group, protocol), group_consumer(group, protocol)
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
        kind = group_type(group)
        b.close()
        wait_until(lambda: a.poll(0.1) is None and len(a.assignment()) == 4, "a owns all again", step=0)
    finally:
        a.close()
    want = "CONSUMER" if protocol == "consumer" else "CLASSIC"
    assert kind == want, f"group type {kind}, want {want}"
    return f"group type {kind}; split {sorted(pa)} / {sorted(pb)}, back to one member after leave"


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


def describe_cluster():
    d = ADMIN.describe_cluster(request_timeout=PATIENCE).result(timeout=PATIENCE)
    assert d.cluster_id, "no cluster id"
    assert d.nodes, "no nodes"
    assert d.controller is not None and d.controller.id in {n.id for n in d.nodes}, d.controller
    assert all(n.host != "localhost" for n in d.nodes), d.nodes
    return f"cluster {d.cluster_id}, {len(d.nodes)} node(s), controller {d.controller.id}"


def topic_configs(topic):
    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    return ADMIN.describe_configs([res])[res].result(timeout=PATIENCE)


def alter_configs():
    topic = unique("ck-ac")
    create(topic)

    def alter(op, value):
        res = ConfigResource(ConfigResource.Type.TOPIC, topic, incremental_configs=[
            ConfigEntry("retention.ms", value, incremental_operation=op)])
        ADMIN.incremental_alter_configs([res])[res].result(timeout=PATIENCE)

    alter(AlterConfigOpType.SET, "123456")
    e = topic_configs(topic)["retention.ms"]
    source = confluent_kafka.admin.ConfigSource(e.source).name
    assert e.value == "123456" and source == "DYNAMIC_TOPIC_CONFIG", (e.value, source)
    alter(AlterConfigOpType.DELETE, None)
    assert topic_configs(topic)["retention.ms"].value != "123456"
    return "incremental_alter_configs SET and DELETE, seen by describe_configs with their source"


def admin_delete_records():
    topic = unique("ck-dr")
    create(topic)
    produce_all(producer(**{"linger.ms": 0}), topic, [{"value": f"d{i}".encode(), "partition": 0} for i in range(10)])
    tp = TopicPartition(topic, 0, 4)
    deleted = ADMIN.delete_records([tp], request_timeout=PATIENCE)
    low = next(iter(deleted.values())).result(timeout=PATIENCE).low_watermark
    assert low == 4, low
    got = read(topic, 6, **{"auto.offset.reset": "earliest"})
    assert got[0].offset() == 4 and got[0].value() == b"d4", got[0].offset()
    return "delete_records before 4: low watermark 4, reading starts at 4"


def list_offsets_max_timestamp():
    topic = unique("ck-lomax")
    create(topic)
    base = int(time.time() * 1000) - 60000
    produce_all(producer(**{"linger.ms": 100}), topic,
                [{"value": b"v", "timestamp": base + d} for d in (0, 4000, 1000, 2000, 3000)])
    tp = TopicPartition(topic, 0)
    r = ADMIN.list_offsets({tp: OffsetSpec.max_timestamp()}, request_timeout=PATIENCE)[tp].result(timeout=PATIENCE)
    assert r.offset == 1 and r.timestamp == base + 4000, (r.offset, r.timestamp)
    return "timestamps out of order in one batch: MAX_TIMESTAMP names offset 1"


def admin_acls():
    topic = unique("ck-acl")
    acl = AclBinding(ResourceType.TOPIC, topic, ResourcePatternType.LITERAL, "User:pgkafka_compat", "*",
                     AclOperation.READ, AclPermissionType.ALLOW)
    try:
        ADMIN.create_acls([acl], request_timeout=PATIENCE)[acl].result(timeout=PATIENCE)
    except KafkaException as e:
        err = e.args[0]
        if err.code() in (confluent_kafka.KafkaError._UNSUPPORTED_FEATURE, confluent_kafka.KafkaError.UNSUPPORTED_VERSION,
                          confluent_kafka.KafkaError.SECURITY_DISABLED):
            raise NotApplicable(f"the broker serves no ACLs yet: {err.str()}")
        raise
    f = AclBindingFilter(ResourceType.TOPIC, topic, ResourcePatternType.LITERAL, None, None,
                         AclOperation.ANY, AclPermissionType.ANY)
    assert ADMIN.describe_acls(f, request_timeout=PATIENCE).result(timeout=PATIENCE) == [acl]
    ADMIN.delete_acls([f], request_timeout=PATIENCE)[f].result(timeout=PATIENCE)
    return "create_acls, describe_acls, delete_acls"


def read_committed_to_sentinel(topic):
    """Appends a plain sentinel record and reads with read_committed up to it."""
    produce_all(producer(), topic, [{"value": b"sentinel", "partition": 0}])
    got = []
    for m in read(topic, 10**6, **{"isolation.level": "read_committed"}, _until=b"sentinel"):
        got.append(m.value())
    return got


def txn_offset_commit():
    src, dst, group = unique("ck-ctp-in"), unique("ck-ctp-out"), unique("ck-ctp-g")
    create(src)
    create(dst)
    produce_all(producer(), src, [{"value": f"in{i}".encode(), "partition": 0} for i in range(10)])
    p = Producer({"bootstrap.servers": BOOTSTRAP, "transactional.id": unique("ck-ctp-id")})
    p.init_transactions(30)
    c = group_consumer(group, **{"isolation.level": "read_committed"})
    c.subscribe([src])
    try:
        batch = poll_values(c, 10)
        p.begin_transaction()
        for m in batch:
            p.produce(dst, value=b"aborted-" + m.value(), partition=0)
        p.send_offsets_to_transaction([TopicPartition(src, 0, 10)], c.consumer_group_metadata(), 30)
        p.abort_transaction(30)
        off = ADMIN.list_consumer_group_offsets([confluent_kafka.ConsumerGroupTopicPartitions(group)])[group].result(timeout=PATIENCE)
        assert all(tp.offset < 0 for tp in off.topic_partitions), off.topic_partitions
        c.seek(TopicPartition(src, 0, 0))
        done = 0
        while done < 10:
            m = poll_values(c, 1)[0]
            p.begin_transaction()
            p.produce(dst, value=b"out-" + m.value(), partition=0)
            p.send_offsets_to_transaction([TopicPartition(src, 0, m.offset() + 1)], c.consumer_group_metadata(), 30)
            p.commit_transaction(30)
            done += 1
    finally:
        c.close()
    off = ADMIN.list_consumer_group_offsets([confluent_kafka.ConsumerGroupTopicPartitions(group)])[group].result(timeout=PATIENCE)
    assert [tp.offset for tp in off.topic_partitions] == [10], off.topic_partitions
    got = read_committed_to_sentinel(dst)
    assert got == [f"out-in{i}".encode() for i in range(10)], got
    return "send_offsets_to_transaction: an aborted pass leaves no output and no offsets; the committed pass each record once"


def simple_commit_assign(protocol):
    def run():
        topic, group = unique("ck-sc"), unique("ck-sc-g")
        create(topic)
        produce_all(producer(), topic, [{"value": f"s{i}".encode(), "partition": 0} for i in range(6)])
        conf = {"bootstrap.servers": BOOTSTRAP, "group.id": group, "group.protocol": protocol,
                "enable.auto.commit": False, "auto.offset.reset": "earliest"}
        c = Consumer(conf)
        try:
            c.assign([TopicPartition(topic, 0)])
            got = poll_values(c, 3)
            assert got[0].offset() == 0
            c.commit(offsets=[TopicPartition(topic, 0, 3)], asynchronous=False)
            assert c.committed([TopicPartition(topic, 0)], timeout=PATIENCE)[0].offset == 3
            missing = unique("ck-sc-missing")
            try:
                res = c.commit(offsets=[TopicPartition(missing, 0, 1)], asynchronous=False)
                errs = [tp.error for tp in res or [] if tp.error is not None]
                assert errs, "a commit for an unknown topic succeeded"
                refusal = errs[0].name()
            except KafkaException as e:
                refusal = e.args[0].name()
            assert refusal in ("UNKNOWN_TOPIC_OR_PART", "_UNKNOWN_TOPIC", "_UNKNOWN_PARTITION"), refusal
        finally:
            c.close()
        c = Consumer(conf)
        try:
            c.assign([TopicPartition(topic, 0)])
            got = poll_values(c, 3)
            assert got[0].offset() == 3, got[0].offset()
        finally:
            c.close()
        return f"assign() only: commit, committed() and a new consumer see 3; unknown topic refused ({refusal})"
    return run


def regex_subscribe(protocol):
    def run():
        prefix = unique("ck-rx")
        t1, t2, other = f"{prefix}-a", f"{prefix}-b", unique("ck-rxother")
        for t in (t1, t2, other):
            create(t)
            produce_all(producer(), t, [{"value": t.encode(), "partition": 0} for _ in range(2)])
        c = group_consumer(unique("ck-rx-g"), protocol, **{"topic.metadata.refresh.interval.ms": 1000})
        c.subscribe([f"^{prefix.replace('-', '[-]')}-.*"])
        try:
            got = poll_values(c, 4)
            topics = sorted(m.topic() for m in got)
            assert topics == sorted([t1, t1, t2, t2]), topics
        finally:
            c.close()
        return "subscribe(['^prefix-.*']): both matching topics read, the other not"
    return run


def assign_grow(protocol):
    def run():
        topic, group = unique("ck-grow"), unique("ck-grow-g")
        create(topic, 2)
        produce_all(producer(), topic, [{"value": f"p{p}-{i}".encode(), "partition": p} for p in (0, 1) for i in range(5)])
        c = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": group, "group.protocol": protocol,
                      "enable.auto.commit": False, "auto.offset.reset": "earliest"})
        try:
            c.assign([TopicPartition(topic, 0)])
            first = poll_values(c, 5)
            assert all(m.partition() == 0 for m in first)
            c.commit(asynchronous=False)
            c.assign([TopicPartition(topic, 0), TopicPartition(topic, 1)])
            produce_all(producer(), topic, [{"value": b"p0-late", "partition": 0}])
            nxt = poll_values(c, 6)
            again = [m.offset() for m in nxt if m.partition() == 0 and m.offset() < 5]
            assert not again, f"partition 0 offsets {again} read again after the assignment grew"
            assert sum(1 for m in nxt if m.partition() == 1) == 5
        finally:
            c.close()
        return "assign([p0]), read and commit, assign([p0, p1]): p0 continues at 5, p1 read from 0"
    return run


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
    m.run("group_commit_resume", group_commit_resume())
    m.run("rebalance_two_members", rebalance_two_members())
    m.run("groups_list_describe_delete", groups_list_describe_delete)
    m.run("create_partitions", create_partitions)
    m.run("idempotent_producer", idempotent_producer)
    m.run("transactions", transactions)
    m.run("long_poll", long_poll)
    m.run("describe_configs", describe_configs)
    m.run("describe_cluster", describe_cluster)
    m.run("alter_configs", alter_configs)
    m.run("admin_delete_records", admin_delete_records)
    m.run("list_offsets_max_timestamp", list_offsets_max_timestamp)
    m.run("admin_acls", admin_acls)
    m.run("txn_offset_commit", txn_offset_commit)
    m.run("simple_commit_assign", simple_commit_assign("classic"))
    m.run("regex_subscribe", regex_subscribe("classic"))
    m.run("assign_grow", assign_grow("classic"))
    m.run("kip848_commit_resume", group_commit_resume("consumer"))
    m.run("kip848_rebalance", rebalance_two_members("consumer"))
    m.run("kip848_simple_commit_assign", simple_commit_assign("consumer"))
    m.run("kip848_regex_subscribe", regex_subscribe("consumer"))
    m.run("kip848_assign_grow", assign_grow("consumer"))
    m.finish()


if __name__ == "__main__":
    main()
