"""Shared fixtures for the Python client tests: where the broker is and unique names.

The tests talk to a running pg_kafka broker over TCP only; `make blackbox` sets
PG_KAFKA_BOOTSTRAP to its test cluster.
"""

import itertools
import os
import time

import pytest

_COUNTER = itertools.count()

# Safety net against hangs, never a performance assertion.
PATIENCE = 60.0


def unique(prefix):
    """A name no other test or run uses."""
    return f"{prefix}-{os.getpid()}-{time.time_ns()}-{next(_COUNTER)}"


@pytest.fixture(scope="session")
def bootstrap():
    return os.environ.get("PG_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
