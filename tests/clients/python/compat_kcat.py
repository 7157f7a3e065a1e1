"""Compatibility matrix: kcat (Debian's kcat with its librdkafka), driven as a shell tool."""

import json
import re
import subprocess
import threading
import time

from compat_common import (BOOTSTRAP, LONG_POLL_MAX_WAIT_MS, PATIENCE, Matrix, NotApplicable,
                           check_long_poll, java_partition, unique, wait_until)

BASE = ["kcat", "-b", BOOTSTRAP, "-X", "enable.idempotence=false"]
CBASE = ["kcat", "-b", BOOTSTRAP]


def kcat(args, stdin=b"", base=BASE, timeout=PATIENCE):
    p = subprocess.run(base + args, input=stdin, capture_output=True, timeout=timeout)
    if p.returncode != 0:
        raise AssertionError(f"kcat {' '.join(args)} exited {p.returncode}: {p.stderr.decode()[-300:]}")
    return p.stdout


def produce(topic, lines, *extra):
    kcat(["-P", "-t", topic, *extra], stdin=b"".join(l + b"\n" for l in lines))


def consume(topic, n, *extra):
    out = kcat(["-C", "-t", topic, "-J", "-e", "-o", "beginning", "-c", str(n), "-q", *extra], base=CBASE)
    return [json.loads(l) for l in out.decode().splitlines() if l.strip()]


def new_topic(prefix, partitions=1):
    """kcat cannot create topics: the broker auto-creates on produce (default partition count),
    so partitioned topics are made with the confluent AdminClient."""
    topic = unique(prefix)
    if partitions > 1:
        from confluent_kafka.admin import AdminClient, NewTopic
        a = AdminClient({"bootstrap.servers": BOOTSTRAP})
        a.create_topics([NewTopic(topic, partitions, 1)])[topic].result(timeout=PATIENCE)
    return topic


def metadata():
    topic = unique("kc-meta")
    produce(topic, [b"x"])
    md = json.loads(kcat(["-L", "-J"], base=CBASE))
    assert md["brokers"], md
    names = {t["topic"]: t for t in md["topics"]}
    assert topic in names and names[topic]["partitions"], names.get(topic)
    return f"-L -J: {len(md['brokers'])} broker(s), {len(md['topics'])} topics"


def produce_consume():
    topic = unique("kc-pc")
    produce(topic, [b"k1|v1"], "-K", "|", "-H", "h=a", "-H", "h=b", "-H", "n")
    produce(topic, [b"nv|"], "-K", "|", "-Z")
    produce(topic, [b"ev|"], "-K", "|")
    got = consume(topic, 3, "-Z")
    assert [(m["offset"], m["key"], m["payload"]) for m in got] == \
        [(0, "k1", "v1"), (1, "nv", None), (2, "ev", "")], got
    assert got[0]["headers"] == ["h", "a", "h", "b", "n", None], got[0]
    return "keys, duplicate and null headers, null (-Z) and empty values"


def codec(name):
    def run():
        topic = unique(f"kc-{name}")
        values = [f"{name} record {i} ".encode() * 20 for i in range(100)]
        produce(topic, values, "-X", f"compression.codec={name}", "-X", "linger.ms=50")
        got = consume(topic, len(values))
        assert [m["payload"].encode() for m in got] == values
    return run


def murmur2_partitioning():
    topic = new_topic("kc-murmur", 7)
    keys = [f"key-{i}" for i in range(60)]
    produce(topic, [f"{k}|v".encode() for k in keys], "-K", "|", "-X", "partitioner=murmur2_random")
    got = []
    for p in range(7):
        out = kcat(["-C", "-t", topic, "-p", str(p), "-J", "-e", "-o", "beginning", "-q"], base=CBASE)
        got += [json.loads(l) for l in out.decode().splitlines() if l.strip()]
    assert len(got) == len(keys), len(got)
    bad = [(m["key"], m["partition"]) for m in got if m["partition"] != java_partition(m["key"].encode(), 7)]
    assert not bad, f"partition differs from Java murmur2: {bad[:5]}"
    return f"{len(keys)} keys over 7 partitions, -X partitioner=murmur2_random"


def query(topic, ts):
    out = json.loads(kcat(["-Q", "-J", "-t", f"{topic}:0:{ts}"], base=CBASE))
    return out[topic]["0"]["offset"]


def list_offsets():
    topic = unique("kc-lo")
    produce(topic, [b"a"])
    time.sleep(1.2)
    t = int(time.time() * 1000)
    time.sleep(0.2)
    produce(topic, [b"b", b"c"])
    assert query(topic, -2) == 0
    assert query(topic, -1) == 3
    assert query(topic, t) == 1
    return "-Q: beginning (-2), end (-1), by timestamp"


def group_commit_resume():
    topic, group = unique("kc-resume"), unique("kc-resume-g")
    produce(topic, [f"v{i}".encode() for i in range(10)])
    args = ["-G", group, topic, "-J", "-q", "-X", "auto.offset.reset=earliest"]
    first = [json.loads(l) for l in kcat(args + ["-c", "6"], base=CBASE).decode().splitlines()]
    assert [m["offset"] for m in first] == list(range(6)), first
    second = [json.loads(l) for l in kcat(args + ["-c", "4"], base=CBASE).decode().splitlines()]
    assert [m["offset"] for m in second] == [6, 7, 8, 9], second
    return "-G ... -c N commits on exit; the next member resumes"


def _lines(stream, into):
    for line in iter(stream.readline, b""):
        into.append(line.decode(errors="replace").rstrip("\n"))


def _assignment(err_lines):
    """Partitions of a kcat -G member's latest rebalance line; None before its first."""
    for line in reversed(err_lines):
        if " rebalanced (memberid " in line:
            if "assigned:" not in line:
                return set()
            return {int(p) for p in re.findall(r"\[(\d+)\]", line.split("assigned:", 1)[1])}
    return None


def rebalance_two_members():
    topic, group = new_topic("kc-reb", 4), unique("kc-reb-g")
    args = CBASE + ["-G", group, topic, "-J", "-u", "-X", "auto.offset.reset=earliest",
                    "-X", "session.timeout.ms=10000", "-X", "heartbeat.interval.ms=500"]
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(2)]
    out, err = [[], []], [[], []]
    readers = [threading.Thread(target=_lines, args=(s, into), daemon=True)
               for p, o, e in zip(procs, out, err) for s, into in ((p.stdout, o), (p.stderr, e))]
    for r in readers:
        r.start()
    try:
        # Both members hold a share of the four partitions, with nothing left unassigned: the
        # group is stable, so the records below are read once each.
        def balanced():
            a, b = (_assignment(e) for e in err)
            return bool(a) and bool(b) and not (a & b) and len(a | b) == 4
        wait_until(balanced, "two members sharing the four partitions")
        keys = [f"key-{i}" for i in range(40)]
        produce(topic, [f"{k}|v".encode() for k in keys], "-K", "|", "-X", "partitioner=murmur2_random")
        wait_until(lambda: sum(1 for o in out for l in o if l.startswith("{")) >= 40,
                   "40 records read")
        time.sleep(1)  # room for a duplicate, if there were one, to show
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
    for r in readers:
        r.join(timeout=10)
    ga, gb = ([json.loads(l) for l in o if l.startswith("{")] for o in out)
    pa, pb = {m["partition"] for m in ga}, {m["partition"] for m in gb}
    assert len(ga) + len(gb) == 40, (len(ga), len(gb), err[0][-3:], err[1][-3:])
    assert pa and pb and not (pa & pb), (pa, pb)
    return f"two kcat -G members split partitions {sorted(pa)} / {sorted(pb)}"


def idempotent_producer():
    topic = unique("kc-idem")
    kcat(["-P", "-t", topic, "-X", "enable.idempotence=true"], stdin=b"i0\ni1\n",
         base=["kcat", "-b", BOOTSTRAP], timeout=30)
    assert [m["payload"] for m in consume(topic, 2)] == ["i0", "i1"]


def transactions():
    topic = unique("kc-txn")
    kcat(["-P", "-t", topic, "-X", f"transactional.id={unique('kc-txn-id')}"], stdin=b"t\n",
         base=["kcat", "-b", BOOTSTRAP], timeout=30)
    assert [m["payload"] for m in consume(topic, 1, "-X", "isolation.level=read_committed")] == ["t"]


def long_poll():
    topic = unique("kc-lp")
    produce(topic, [b"first"])
    c = subprocess.Popen(CBASE + ["-C", "-t", topic, "-p", "0", "-o", "1", "-c", "1", "-q",
                                  "-X", f"fetch.wait.max.ms={LONG_POLL_MAX_WAIT_MS}"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(3)
        assert c.poll() is None, "consumer exited early"
        t0 = time.monotonic()
        produce(topic, [b"late"])
        out, _ = c.communicate(timeout=LONG_POLL_MAX_WAIT_MS / 1000 + 10)
        waited = time.monotonic() - t0
    finally:
        if c.poll() is None:
            c.terminate()
    assert out.strip() == b"late", out
    return check_long_poll(waited)


def na(why):
    def run():
        raise NotApplicable(why)
    return run


def main():
    v = subprocess.run(["kcat", "-V"], capture_output=True, text=True).stdout + \
        subprocess.run(["kcat", "-V"], capture_output=True, text=True).stderr
    mv = re.search(r"Version (\S+) .*librdkafka (\S+)", v)
    m = Matrix("kcat", f"{mv.group(1)} (librdkafka {mv.group(2)})" if mv else "unknown")
    m.run("metadata", metadata)
    m.run("create_delete_topic", na("kcat has no topic admin (topics are auto-created on produce)"))
    m.run("produce_consume", produce_consume)
    for name in ("gzip", "snappy", "lz4", "zstd"):
        m.run(f"codec_{name}", codec(name))
    m.run("murmur2_partitioning", murmur2_partitioning)
    m.run("list_offsets", list_offsets)
    m.run("group_commit_resume", group_commit_resume)
    m.run("rebalance_two_members", rebalance_two_members)
    m.run("groups_list_describe_delete", na("kcat has no group admin"))
    m.run("create_partitions", na("kcat has no topic admin"))
    m.run("idempotent_producer", idempotent_producer)
    m.run("transactions", transactions)
    m.run("long_poll", long_poll)
    m.run("describe_configs", na("kcat has no config admin"))
    m.finish()


if __name__ == "__main__":
    main()
