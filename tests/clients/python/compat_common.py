"""Shared pieces of the client compatibility matrix (not collected by pytest).

Each client runner calls Matrix.run(scenario, fn) once per scenario in SCENARIOS. fn returns an
optional note (pass), raises NotApplicable (n-a) or anything else (fail). Results go to
$PG_KAFKA_COMPAT_DIR/<client>.jsonl (default target/compat); merge_compat.py turns all of them
into docs/compatibility.md and decides whether the run is red.
"""

import itertools
import json
import os
import threading
import time
import traceback

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
COMPAT_DIR = os.environ.get("PG_KAFKA_COMPAT_DIR", os.path.join(REPO, "target", "compat"))
BOOTSTRAP = os.environ.get("PG_KAFKA_BOOTSTRAP", "127.0.0.1:9092")

# Safety net per scenario against hangs, never a performance assertion.
SCENARIO_TIMEOUT = 120.0
PATIENCE = 60.0
LONG_POLL_MAX_WAIT_MS = 20000

_COUNTER = itertools.count()


def unique(prefix):
    return f"{prefix}-{os.getpid()}-{time.time_ns()}-{next(_COUNTER)}"


class NotApplicable(Exception):
    """The client cannot express the scenario."""


def murmur2(data: bytes) -> int:
    """Kafka's Java murmur2 (org.apache.kafka.common.utils.Utils.murmur2), as a signed 32-bit int."""
    m = 0x5BD1E995
    length = len(data)
    h = (0x9747B28C ^ length) & 0xFFFFFFFF
    i = 0
    while length - i >= 4:
        k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> 24
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
        i += 4
    rest = length - i
    if rest == 3:
        h ^= data[i + 2] << 16
    if rest >= 2:
        h ^= data[i + 1] << 8
    if rest >= 1:
        h ^= data[i]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def java_partition(key: bytes, partitions: int) -> int:
    return (murmur2(key) & 0x7FFFFFFF) % partitions


# Known answers from the Java client's own tests (UtilsTest.testMurmur2).
assert murmur2(b"21") == -973932308
assert murmur2(b"foobar") == -790332482
assert murmur2(b"a-little-bit-long-string") == -985981536
assert murmur2(b"a-little-bit-longer-string") == -1486304829
assert murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == -58897971
assert murmur2(b"abc") == 479470107


class Matrix:
    def __init__(self, client, version):
        self.client = client
        self.version = version
        os.makedirs(COMPAT_DIR, exist_ok=True)
        self.path = os.path.join(COMPAT_DIR, f"{client}.jsonl")
        self.out = open(self.path, "w", encoding="utf-8")

    def record(self, scenario, result, note=""):
        line = {"client": self.client, "version": self.version, "scenario": scenario,
                "result": result, "note": note}
        self.out.write(json.dumps(line) + "\n")
        self.out.flush()
        print(f"{self.client} {scenario}: {result} {note}", flush=True)

    def run(self, scenario, fn):
        box = {}

        def body():
            try:
                box["note"] = fn() or ""
                box["result"] = "pass"
            except NotApplicable as e:
                box["result"], box["note"] = "n-a", str(e)
            except Exception as e:  # noqa: BLE001 - every failure is a matrix result
                box["result"] = "fail"
                box["note"] = f"{type(e).__name__}: {e}".replace("\n", " ")[:300]
                traceback.print_exc()

        t = threading.Thread(target=body, daemon=True)
        t.start()
        t.join(SCENARIO_TIMEOUT)
        if t.is_alive():
            self.record(scenario, "fail", f"timed out after {SCENARIO_TIMEOUT:.0f}s")
        else:
            self.record(scenario, box["result"], box["note"])

    def finish(self):
        self.out.close()
        # A hung scenario's thread may hold client objects whose destructors block: leave hard.
        os._exit(0)


def wait_until(pred, what, patience=PATIENCE, step=0.1):
    deadline = time.monotonic() + patience
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(step)


def check_long_poll(waited_s):
    assert waited_s < LONG_POLL_MAX_WAIT_MS / 1000.0 * 0.75, \
        f"record arrived after {waited_s:.2f}s, max wait {LONG_POLL_MAX_WAIT_MS} ms"
    return f"record arrived {waited_s:.2f}s after produce (max wait {LONG_POLL_MAX_WAIT_MS / 1000:.0f}s)"
