"""SASL authentication on the SASL_PLAINTEXT listener, black-box.

A Kafka principal is a Postgres role: SCRAM-SHA-256 checks the role's SCRAM verifier, PLAIN the
cleartext against the same verifier. Each test creates its own roles through psql
(PG_KAFKA_PGURL) and drops them afterwards.

Three layers:
- raw sockets (the Kafka wire format and a SCRAM-SHA-256 client written here): what the broker
  answers before, during and after a login, including hostile input;
- the client libraries (confluent-kafka, kafka-python, kcat) producing and consuming over
  SASL_PLAINTEXT with SCRAM-SHA-256 and PLAIN, and seeing refused logins as such;
- a flood of failed logins while a good client works (slow; last in this file).

Failed logins are answered after a delay that grows per source address. The raw-socket tests
that fail logins on purpose connect from a loopback address of their own (127.x.y.z) where the
platform allows it, so one test's delay does not carry into the next; nothing here asserts on
timing except the generous bound on how long a stalled login may stay open.

Skipped when PG_KAFKA_SASL_BOOTSTRAP is unset (a cluster without the SASL listener).
"""

import base64
import hashlib
import hmac
import logging
import os
import random
import secrets
import shutil
import socket
import struct
import subprocess
import threading
import time
from collections import Counter, namedtuple

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from kafka import KafkaConsumer, KafkaProducer
from kafka import TopicPartition as KpTopicPartition
from kafka.errors import KafkaError as KafkaPythonError

from conftest import PATIENCE, unique
from test_cleaner import sql
from test_confluent_kafka import create_topic, group_consumer
from test_kafka_python import poll_n

SASL_BOOTSTRAP = os.environ.get("PG_KAFKA_SASL_BOOTSTRAP")
SERVER_LOG = os.environ.get("PG_KAFKA_SERVER_LOG")

pytestmark = pytest.mark.skipif(
    not SASL_BOOTSTRAP, reason="PG_KAFKA_SASL_BOOTSTRAP is unset (no SASL_PLAINTEXT listener)"
)

MECHANISMS = ["SCRAM-SHA-256", "PLAIN"]

API_METADATA = 3
API_SASL_HANDSHAKE = 17
API_API_VERSIONS = 18
API_SASL_AUTHENTICATE = 36

ERR_NONE = 0
ERR_UNSUPPORTED_SASL_MECHANISM = 33
ERR_SASL_AUTHENTICATION_FAILED = 58

# Largest frame the broker reads from a connection that has not authenticated.
PRE_AUTH_MAX_FRAME = 524288
# Longest wait for any one answer. A failed login is answered late on purpose (the per-address
# delay is capped at a few seconds); this is a safety net, not a performance assertion.
ANSWER_WAIT = 20.0
# request_timeout_ms is 30 s on the test cluster; a stalled login must be gone well before this.
STALLED_LOGIN_BOUND = 45.0


def split_addr(addr):
    host, port = addr.rsplit(":", 1)
    return host.strip("[]"), int(port)


# --------------------------------------------------------------------------------------------
# Roles


Role = namedtuple("Role", "name password")

# The test cluster checks ACLs: a role that only tests logins is made a member of this one,
# which may do anything through Kafka (test_acl.py makes roles without it).
CLIENTS_ROLE = "pgkafka_test_clients"


def grant_clients(role):
    """Let `role` do anything through Kafka: membership in a role that has ALL everywhere."""
    sql(f"""DO $$ BEGIN
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{CLIENTS_ROLE}') THEN
                  CREATE ROLE {CLIENTS_ROLE} NOLOGIN;
              END IF;
            END $$;
            SELECT kafka.grant_acl('{CLIENTS_ROLE}', 'ALL', t, '*')
              FROM unnest(ARRAY['TOPIC', 'GROUP', 'TRANSACTIONAL_ID']) AS t;
            SELECT kafka.grant_acl('{CLIENTS_ROLE}', 'ALL', 'CLUSTER');
            GRANT {CLIENTS_ROLE} TO {role}""")


def new_password():
    # token_urlsafe never yields a quote or a backslash, so it goes into SQL as a plain literal.
    return "pw-" + secrets.token_urlsafe(18)


def new_role_name(tag):
    return f"kafka_sasl_{tag}_{os.getpid()}_{secrets.token_hex(4)}"


NEW = object()


@pytest.fixture
def roles():
    """create(tag, ...) makes a role for this test; every role made is dropped at the end.

    The password is a new random one unless given; password=None makes a role without one.
    encryption is password_encryption for the CREATE ROLE; verifier gives a precomputed SCRAM
    verifier instead of the cleartext (which then never reaches Postgres); attrs are the role's
    other options; acls=False leaves it without any Kafka ACL.
    """
    made = []

    def create(tag="user", password=NEW, attrs="LOGIN", encryption="scram-sha-256",
               verifier=None, acls=True):
        name = new_role_name(tag)
        if password is NEW:
            password = new_password()
        made.append(name)
        if verifier is not None:
            clause = f" PASSWORD '{verifier}'"
        elif password is not None:
            clause = f" PASSWORD '{password}'"
        else:
            clause = ""
        sql(f"SET password_encryption = '{encryption}'; CREATE ROLE {name} {attrs}{clause}")
        if acls:
            grant_clients(name)
        return Role(name, password)

    yield create
    for name in made:
        sql(f"DROP ROLE IF EXISTS {name}")


def scram_verifier(password, iterations, salt=None):
    """A SCRAM-SHA-256 verifier in Postgres's text form, computed here."""
    salt = salt or os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    stored_key = hashlib.sha256(_hmac(salted, b"Client Key")).digest()
    server_key = _hmac(salted, b"Server Key")
    return f"SCRAM-SHA-256${iterations}:{_b64(salt)}${_b64(stored_key)}:{_b64(server_key)}"


# --------------------------------------------------------------------------------------------
# The Kafka wire format, just enough for the SASL exchange and a Metadata request


class Closed(Exception):
    """The broker closed the connection (EOF or reset)."""


def kstr(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def kbytes(b):
    return struct.pack(">i", len(b)) + b


class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, n):
        assert self.pos + n <= len(self.data), f"response truncated at byte {self.pos}"
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def i16(self):
        return struct.unpack(">h", self.take(2))[0]

    def i32(self):
        return struct.unpack(">i", self.take(4))[0]

    def i64(self):
        return struct.unpack(">q", self.take(8))[0]

    def string(self):
        n = self.i16()
        return None if n < 0 else self.take(n).decode()

    def bytes_(self):
        n = self.i32()
        return None if n < 0 else self.take(n)

    def array(self, item):
        n = self.i32()
        return [] if n < 0 else [item(self) for _ in range(n)]


AuthAnswer = namedtuple("AuthAnswer", "error message data lifetime_ms")

_SOURCE_BINDING = None


def fresh_source():
    """A loopback source address not used before in this run, or None where binding one is not
    possible (then connections come from the default address)."""
    global _SOURCE_BINDING
    host, _ = split_addr(SASL_BOOTSTRAP)
    if not host.startswith("127."):
        return None
    if _SOURCE_BINDING is None:
        probe = socket.socket()
        try:
            probe.bind(("127.0.0.2", 0))
            _SOURCE_BINDING = True
        except OSError:
            _SOURCE_BINDING = False
        finally:
            probe.close()
    if not _SOURCE_BINDING:
        return None
    return f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


class Conn:
    """One raw Kafka connection: request header v1, response header v0."""

    def __init__(self, addr=None, source=None, timeout=ANSWER_WAIT):
        host, port = split_addr(addr or SASL_BOOTSTRAP)
        self.sock = socket.create_connection(
            (host, port), timeout=10, source_address=(source, 0) if source else None
        )
        self.sock.settimeout(timeout)
        self.correlation = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.sock.close()

    def send_bytes(self, data):
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError) as e:
            raise Closed(str(e)) from e

    def header(self, api_key, version):
        self.correlation += 1
        return struct.pack(">hhi", api_key, version, self.correlation) + kstr("pg-kafka-sasl-test")

    def send(self, api_key, version, body):
        payload = self.header(api_key, version) + body
        self.send_bytes(struct.pack(">i", len(payload)) + payload)
        return self.correlation

    def recv_exact(self, n):
        out = b""
        while len(out) < n:
            try:
                chunk = self.sock.recv(n - len(out))
            except (ConnectionResetError, ConnectionAbortedError) as e:
                raise Closed(str(e)) from e
            if not chunk:
                raise Closed("EOF")
            out += chunk
        return out

    def recv(self, correlation):
        (size,) = struct.unpack(">i", self.recv_exact(4))
        frame = self.recv_exact(size)
        (got,) = struct.unpack(">i", frame[:4])
        assert got == correlation, f"answer for correlation id {got}, expected {correlation}"
        return Reader(frame[4:])

    def call(self, api_key, version, body):
        return self.recv(self.send(api_key, version, body))

    def api_versions(self):
        r = self.call(API_API_VERSIONS, 0, b"")
        error = r.i16()
        keys = r.array(lambda r: (r.i16(), r.i16(), r.i16()))
        return error, {k: (lo, hi) for k, lo, hi in keys}

    def handshake(self, mechanism):
        r = self.call(API_SASL_HANDSHAKE, 1, kstr(mechanism))
        return r.i16(), r.array(Reader.string)

    def authenticate(self, token, version=1):
        r = self.call(API_SASL_AUTHENTICATE, version, kbytes(token))
        error, message, data = r.i16(), r.string(), r.bytes_()
        lifetime = r.i64() if version >= 1 else None
        return AuthAnswer(error, message, data or b"", lifetime)

    def handshake_v0(self, mechanism):
        r = self.call(API_SASL_HANDSHAKE, 0, kstr(mechanism))
        return r.i16(), r.array(Reader.string)

    def raw_token(self, token):
        """After a SaslHandshake v0: a token framed by its size alone, and the answer likewise."""
        self.send_bytes(struct.pack(">i", len(token)) + token)
        (size,) = struct.unpack(">i", self.recv_exact(4))
        return self.recv_exact(size)

    def send_metadata(self):
        # v1 with an empty topic list: brokers only, no topics (and none auto-created).
        return self.send(API_METADATA, 1, struct.pack(">i", 0))

    def metadata_brokers(self):
        r = self.recv(self.send_metadata())
        return r.array(lambda r: (r.i32(), r.string(), r.i32(), r.string()))

    def expect_closed(self, what, within=ANSWER_WAIT):
        """The broker closes this connection without sending anything (more)."""
        self.sock.settimeout(within)
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, ConnectionAbortedError):
            return
        except socket.timeout:
            raise AssertionError(f"{what}: the connection is still open after {within:.0f} s")
        assert data == b"", f"{what}: the broker sent {len(data)} bytes instead of closing"

    def expect_no_session(self, what):
        """This connection is not authenticated: a Metadata request is not answered and the
        connection closes."""
        try:
            self.send_metadata()
        except Closed:
            return
        self.expect_closed(f"{what}, then Metadata")


# --------------------------------------------------------------------------------------------
# SASL exchanges over a Conn


def _b64(b):
    return base64.b64encode(b).decode()


def _hmac(key, msg):
    return hmac.new(key, msg, hashlib.sha256).digest()


def saslname(name):
    return name.replace("=", "=3D").replace(",", "=2C")


def scram_attrs(message):
    out = {}
    for part in message.split(","):
        key, sep, value = part.partition("=")
        assert sep and len(key) == 1, f"not a SCRAM attribute: {part!r} in {message!r}"
        out[key] = value
    return out


class Scram:
    """The client side of SCRAM-SHA-256 (RFC 5802, RFC 7677), without channel binding."""

    def __init__(self, user, password, authzid="", nonce=None):
        self.password = password
        self.nonce = nonce or _b64(os.urandom(18))
        self.gs2 = "n," + (f"a={saslname(authzid)}" if authzid else "") + ","
        self.first_bare = f"n={saslname(user)},r={self.nonce}"

    def client_first(self):
        return (self.gs2 + self.first_bare).encode()

    def take_server_first(self, data):
        self.server_first = data.decode()
        attrs = scram_attrs(self.server_first)
        self.server_nonce = attrs["r"]
        self.salt = base64.b64decode(attrs["s"], validate=True)
        self.iterations = int(attrs["i"])
        return attrs

    def client_final(self, nonce=None):
        without_proof = f"c={_b64(self.gs2.encode())},r={nonce or self.server_nonce}"
        auth_message = f"{self.first_bare},{self.server_first},{without_proof}".encode()
        salted = hashlib.pbkdf2_hmac("sha256", self.password.encode(), self.salt, self.iterations)
        client_key = _hmac(salted, b"Client Key")
        signature = _hmac(hashlib.sha256(client_key).digest(), auth_message)
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        self.proof = _b64(proof)
        self.server_signature = _hmac(_hmac(salted, b"Server Key"), auth_message)
        return f"{without_proof},p={_b64(proof)}".encode()

    def server_verified(self, data):
        attrs = scram_attrs(data.decode())
        return "v" in attrs and base64.b64decode(attrs["v"]) == self.server_signature


def handshake_ok(conn, mechanism):
    error, mechanisms = conn.handshake(mechanism)
    assert error == ERR_NONE, f"SaslHandshake {mechanism}: error {error}, offers {mechanisms}"
    return mechanisms


def scram_first(conn, user, password="unused", **kw):
    """Handshake and client-first; returns the client state after the server-first."""
    handshake_ok(conn, "SCRAM-SHA-256")
    scram = Scram(user, password, **kw)
    first = conn.authenticate(scram.client_first())
    assert first.error == ERR_NONE, f"server-first refused for {user}: {first}"
    scram.take_server_first(first.data)
    return scram


def scram_login(conn, user, password):
    """A full SCRAM-SHA-256 login that must succeed (server signature verified)."""
    scram = scram_first(conn, user, password)
    final = conn.authenticate(scram.client_final())
    assert final.error == ERR_NONE, f"SCRAM login of {user} refused: {final}"
    assert scram.server_verified(final.data), f"bad server-final {final.data!r}"
    return scram


def plain_token(user, password, authzid=""):
    return f"{authzid}\0{user}\0{password}".encode()


def plain_login(conn, user, password, version=1):
    handshake_ok(conn, "PLAIN")
    answer = conn.authenticate(plain_token(user, password), version)
    assert answer.error == ERR_NONE, f"PLAIN login of {user} refused: {answer}"
    return answer


def refused_login(conn, mechanism, user, password):
    """A login that must be refused: the answer carrying SASL_AUTHENTICATION_FAILED, after
    which the connection holds no session. SCRAM may refuse at the client-first or at the proof."""
    handshake_ok(conn, mechanism)
    if mechanism == "PLAIN":
        answer = conn.authenticate(plain_token(user, password))
    else:
        scram = Scram(user, password)
        answer = conn.authenticate(scram.client_first())
        if answer.error == ERR_NONE:
            scram.take_server_first(answer.data)
            answer = conn.authenticate(scram.client_final())
    assert answer.error == ERR_SASL_AUTHENTICATION_FAILED, (
        f"{mechanism} login of {user!r} answered {answer}, expected SASL_AUTHENTICATION_FAILED"
    )
    conn.expect_no_session(f"after the refused {mechanism} login of {user!r}")
    return answer


def login_works(mechanism, role, source=None):
    """A fresh connection logs in and is served Metadata."""
    with Conn(source=source) as c:
        if mechanism == "PLAIN":
            plain_login(c, role.name, role.password)
        else:
            scram_login(c, role.name, role.password)
        assert c.metadata_brokers(), "Metadata after login lists no broker"


def login_refused(mechanism, role, source=None):
    with Conn(source=source) as c:
        return refused_login(c, mechanism, role.name, role.password)


# --------------------------------------------------------------------------------------------
# Records and the client libraries


def sample_records():
    """(key, value) pairs covering every byte value, empty and large values, a null key."""
    return [
        (b"every-byte", bytes(range(256))),
        (None, b"no key"),
        (b"\x00\xff\x00", b"\x00" * 1000),
        (b"utf8", "Grüße, 東京 ✓".encode()),
        (b"empty-value", b""),
        (b"large", os.urandom(200_000)),
    ]


def ck_sasl(mechanism, role, **extra):
    conf = {
        "bootstrap.servers": SASL_BOOTSTRAP,
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanisms": mechanism,
        "sasl.username": role.name,
        "sasl.password": role.password,
    }
    conf.update(extra)
    return conf


def ck_produce(conf, topic, records):
    p = Producer({**conf, "acks": "all", "enable.idempotence": False})
    errors = []

    def report(err, _msg):
        if err is not None:
            errors.append(err)

    for key, value in records:
        p.produce(topic, key=key, value=value, partition=0, on_delivery=report)
    assert p.flush(PATIENCE) == 0, "undelivered records"
    assert errors == []


def ck_read(conf, topic, n):
    """The first n records of partition 0 as (offset, key, value), without a group."""
    c = Consumer({**conf, "group.id": unique("py-sasl-reader"), "enable.auto.commit": False})
    c.assign([TopicPartition(topic, 0, 0)])
    out = []
    deadline = time.monotonic() + PATIENCE
    try:
        while len(out) < n:
            assert time.monotonic() < deadline, f"only {len(out)} of {n} records arrived"
            m = c.poll(0.2)
            if m is None:
                continue
            assert m.error() is None, m.error()
            out.append((m.offset(), m.key(), m.value()))
    finally:
        c.close()
    return out


def ck_refusal_errors(conf):
    """Errors a client with `conf` reports while failing to fetch metadata."""
    errors = []
    p = Producer({**conf, "error_cb": errors.append, "socket.timeout.ms": int(ANSWER_WAIT * 1000)})
    with pytest.raises(KafkaException):
        p.list_topics(timeout=10)
    deadline = time.monotonic() + ANSWER_WAIT
    while not errors and time.monotonic() < deadline:
        p.poll(0.2)
    return errors


def plaintext_round_trip(bootstrap):
    """The PLAINTEXT listener still creates, produces and consumes."""
    topic = unique("py-sasl-plaintext")
    create_topic(bootstrap, topic, 1)
    conf = {"bootstrap.servers": bootstrap}
    value = os.urandom(64)
    ck_produce(conf, topic, [(b"k", value)])
    assert ck_read(conf, topic, 1) == [(0, b"k", value)]


def broker_still_serves(bootstrap, role):
    plaintext_round_trip(bootstrap)
    login_works("SCRAM-SHA-256", role)


def kcat_path():
    path = shutil.which("kcat") or shutil.which("kafkacat")
    if path is None:
        pytest.fail("kcat is not installed (make blackbox installs it)")
    return path


def kcat_sasl(mechanism, role, args, password=None):
    cmd = [
        kcat_path(), "-b", SASL_BOOTSTRAP,
        "-X", "security.protocol=SASL_PLAINTEXT",
        "-X", f"sasl.mechanisms={mechanism}",
        "-X", f"sasl.username={role.name}",
        "-X", f"sasl.password={role.password if password is None else password}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, timeout=PATIENCE)


def parse_kcat(out):
    """Records printed with -f '%o|%K|%k|%S|%s\\n' as (offset, key, value)."""
    records = []
    pos = 0

    def number():
        nonlocal pos
        end = out.index(b"|", pos)
        n = int(out[pos:end])
        pos = end + 1
        return n

    def blob(n, terminator):
        nonlocal pos
        data = out[pos:pos + max(n, 0)]
        pos += max(n, 0)
        assert out[pos:pos + 1] == terminator, f"kcat output malformed at byte {pos}"
        pos += 1
        return None if n < 0 else data

    while pos < len(out):
        offset = number()
        key = blob(number(), b"|")
        value = blob(number(), b"\n")
        records.append((offset, key, value))
    return records


def kp_sasl(mechanism, role, password=None):
    return {
        "bootstrap_servers": SASL_BOOTSTRAP,
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": mechanism,
        "sasl_plain_username": role.name,
        "sasl_plain_password": role.password if password is None else password,
    }


def server_log_since(offset):
    with open(SERVER_LOG, "rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", "replace")


# --------------------------------------------------------------------------------------------
# The SASL exchange on the wire


def test_api_versions_is_served_before_authentication():
    with Conn() as c:
        error, versions = c.api_versions()
        assert error == ERR_NONE
        for key in (API_SASL_HANDSHAKE, API_SASL_AUTHENTICATE):
            assert key in versions, f"ApiVersions does not list API {key}"
            lo, hi = versions[key]
            assert lo <= 1 <= hi, f"API {key} versions {lo}..{hi} miss v1"
        # Still unauthenticated: anything but the three SASL-phase APIs is not served.
        c.expect_no_session("after ApiVersions")


def test_handshake_offers_scram_sha_256_and_plain():
    with Conn() as c:
        c.api_versions()
        mechanisms = handshake_ok(c, "SCRAM-SHA-256")
        assert sorted(mechanisms) == sorted(MECHANISMS)


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-512", "GSSAPI", "OAUTHBEARER"])
def test_an_unsupported_mechanism_is_refused_with_the_enabled_list(mechanism):
    with Conn() as c:
        error, mechanisms = c.handshake(mechanism)
        assert error == ERR_UNSUPPORTED_SASL_MECHANISM, f"SaslHandshake {mechanism}: error {error}"
        assert sorted(mechanisms) == sorted(MECHANISMS)
        c.expect_no_session(f"after the refused handshake for {mechanism}")


def test_scram_login_verifies_the_server_and_serves_metadata_at_the_sasl_port(roles, bootstrap):
    role = roles("scram")
    with Conn() as c:
        scram = scram_first(c, role.name, role.password)
        assert scram.iterations >= 4096, f"iteration count {scram.iterations}"
        assert scram.server_nonce.startswith(scram.nonce)
        assert len(scram.server_nonce) > len(scram.nonce), "the server added no nonce of its own"
        assert scram.salt, "empty salt"
        final = c.authenticate(scram.client_final())
        assert final.error == ERR_NONE, final
        assert scram.server_verified(final.data), f"server signature wrong: {final.data!r}"
        brokers = c.metadata_brokers()
    _, sasl_port = split_addr(SASL_BOOTSTRAP)
    assert brokers and {port for _, _, port, _ in brokers} == {sasl_port}, brokers
    # The PLAINTEXT listener keeps advertising itself.
    with Conn(bootstrap) as plain:
        _, plain_port = split_addr(bootstrap)
        assert {port for _, _, port, _ in plain.metadata_brokers()} == {plain_port}


@pytest.mark.parametrize("version", [0, 1])
def test_plain_login_serves_metadata(roles, version):
    role = roles("plain")
    with Conn() as c:
        plain_login(c, role.name, role.password, version)
        assert c.metadata_brokers()


def test_v0_handshake_logs_in_with_raw_scram_tokens(roles):
    role = roles("rawscram")
    with Conn() as c:
        error, _ = c.handshake_v0("SCRAM-SHA-256")
        assert error == ERR_NONE
        scram = Scram(role.name, role.password)
        scram.take_server_first(c.raw_token(scram.client_first()))
        assert scram.server_verified(c.raw_token(scram.client_final()))
        assert c.metadata_brokers(), "Metadata after a v0 login lists no broker"


def test_v0_handshake_logs_in_with_a_raw_plain_token(roles):
    role = roles("rawplain")
    with Conn() as c:
        assert c.handshake_v0("PLAIN")[0] == ERR_NONE
        assert c.raw_token(plain_token(role.name, role.password)) == b""
        assert c.metadata_brokers()


def test_v0_raw_login_with_a_wrong_password_closes_the_connection(roles):
    role = roles("rawbad")
    with Conn(source=fresh_source()) as c:
        assert c.handshake_v0("PLAIN")[0] == ERR_NONE
        token = plain_token(role.name, "wrong")
        c.send_bytes(struct.pack(">i", len(token)) + token)
        c.expect_closed("a refused raw PLAIN token")
    with Conn(source=fresh_source()) as c:
        assert c.handshake_v0("SCRAM-SHA-256")[0] == ERR_NONE
        scram = Scram(role.name, "wrong")
        scram.take_server_first(c.raw_token(scram.client_first()))
        c.send_bytes(struct.pack(">i", len(final := scram.client_final())) + final)
        c.expect_closed("a refused raw SCRAM proof")


def test_the_server_first_carries_the_roles_own_iteration_count(roles):
    """A verifier made with 10000 iterations: the login works only if the server sends that
    count (the client derives its proof from it)."""
    password = new_password()
    role = roles("iter", password=password, verifier=scram_verifier(password, 10000))
    with Conn() as c:
        scram = scram_login(c, role.name, role.password)
        assert scram.iterations == 10000
        assert c.metadata_brokers()
    login_works("PLAIN", role)


def test_an_unknown_user_gets_a_plausible_server_first_and_fails_at_the_proof(roles):
    real = roles("real")
    with Conn() as c:
        known = scram_first(c, real.name)
    ghost = new_role_name("ghost")
    with Conn(source=fresh_source()) as c:
        scram = scram_first(c, ghost, new_password())
        assert scram.server_nonce.startswith(scram.nonce)
        assert len(scram.server_nonce) > len(scram.nonce)
        # Looks like a real role's: a salt of the same size, the same iteration count (4096).
        assert len(scram.salt) == len(known.salt), (scram.salt, known.salt)
        assert scram.iterations == known.iterations == 4096
        final = c.authenticate(scram.client_final())
        assert final.error == ERR_SASL_AUTHENTICATION_FAILED, final
        c.expect_no_session("after the refused proof of an unknown user")


def test_an_unknown_users_mock_salt_is_stable_and_the_server_nonce_fresh():
    ghost = new_role_name("ghost")
    seen = []
    for _ in range(2):
        with Conn() as c:
            seen.append(scram_first(c, ghost))
    assert seen[0].salt == seen[1].salt, "the mock salt changed between two attempts"
    assert seen[0].iterations == seen[1].iterations
    assert seen[0].server_nonce != seen[1].server_nonce, "the server nonce repeated"


@pytest.mark.skipif(not os.environ.get("PG_KAFKA_RESTART_CMD"), reason="PG_KAFKA_RESTART_CMD is unset")
def test_an_unknown_users_mock_salt_survives_a_restart():
    """The salt comes from the cluster's mock authentication nonce, as Postgres' own: a restart
    (which a real role's salt survives) does not tell an unknown user apart."""
    ghost = new_role_name("ghost")
    with Conn() as c:
        before = scram_first(c, ghost).salt
    subprocess.run(os.environ["PG_KAFKA_RESTART_CMD"], shell=True, check=True,
                   capture_output=True, timeout=180)
    deadline = time.time() + PATIENCE
    while True:
        try:
            with Conn() as c:
                after = scram_first(c, ghost).salt
            break
        except (OSError, Closed, AssertionError):
            assert time.time() < deadline, "the SASL listener did not come back after the restart"
            time.sleep(0.5)
    assert after == before, "an unknown user's mock salt changed across a restart"


def test_mock_salts_differ_between_unknown_users():
    """A salt shared by all unknown users would tell them apart from real ones."""
    salts = []
    for _ in range(2):
        with Conn() as c:
            salts.append(scram_first(c, new_role_name("ghost")).salt)
    assert salts[0] != salts[1]


# --------------------------------------------------------------------------------------------
# Which logins are refused


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_every_refusal_reason_fails_alike(roles, mechanism):
    """Each refusal answers SASL_AUTHENTICATION_FAILED and leaves no session; the message does
    not tell the reasons apart (compared with the user name masked)."""
    wrong = roles("wrongpw")
    nologin = roles("nologin", attrs="NOLOGIN")
    expired = roles("expired", attrs="LOGIN VALID UNTIL '2000-01-01 00:00:00+00'")
    md5 = roles("md5", encryption="md5")
    nopass = roles("nopass", password=None)
    attempts = {
        "wrong password": (wrong.name, new_password()),
        "unknown role": (new_role_name("ghost"), new_password()),
        "NOLOGIN role": (nologin.name, nologin.password),
        "VALID UNTIL in the past": (expired.name, expired.password),
        "md5 password": (md5.name, md5.password),
        "no password": (nopass.name, new_password()),
        "no password, empty one given": (nopass.name, ""),
        "superuser with an empty password": ("postgres", ""),
    }
    # md5 really is what Postgres stored for that role, so the case tests what it claims.
    ((stored,),) = sql(f"SELECT rolpassword FROM pg_authid WHERE rolname = '{md5.name}'")
    assert stored.startswith("md5"), stored

    source = fresh_source()
    messages = {}
    for reason, (user, password) in attempts.items():
        with Conn(source=source) as c:
            try:
                answer = refused_login(c, mechanism, user, password)
            except AssertionError as e:
                raise AssertionError(f"{reason}: {e}") from None
        # Compared for the generated names only: "postgres" may be a word of a generic message.
        if user != "postgres":
            messages[reason] = (answer.message or "").replace(user, "<user>")
    assert len(set(messages.values())) == 1, f"refusal messages differ: {messages}"


def test_role_changes_apply_to_the_next_connection(roles):
    role = roles("changes")
    source = fresh_source()
    for mechanism in MECHANISMS:
        login_works(mechanism, role)

    new = Role(role.name, new_password())
    sql(f"SET password_encryption = 'scram-sha-256'; "
        f"ALTER ROLE {role.name} PASSWORD '{new.password}'")
    for mechanism in MECHANISMS:
        login_works(mechanism, new)
        login_refused(mechanism, role, source)

    sql(f"ALTER ROLE {role.name} NOLOGIN")
    login_refused("SCRAM-SHA-256", new, source)
    sql(f"ALTER ROLE {role.name} LOGIN")
    login_works("SCRAM-SHA-256", new)

    sql(f"ALTER ROLE {role.name} VALID UNTIL '2000-01-01 00:00:00+00'")
    login_refused("PLAIN", new, source)
    sql(f"ALTER ROLE {role.name} VALID UNTIL 'infinity'")
    login_works("PLAIN", new)


def test_valid_until_in_the_future_logs_in(roles):
    role = roles("future", attrs="LOGIN VALID UNTIL '2999-01-01 00:00:00+00'")
    for mechanism in MECHANISMS:
        login_works(mechanism, role)


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_an_authorization_id_other_than_the_user_is_refused(roles, mechanism):
    """Valid credentials of one role must not buy a session as another (here the superuser)."""
    role = roles("authzid")
    with Conn(source=fresh_source()) as c:
        handshake_ok(c, mechanism)
        if mechanism == "PLAIN":
            answer = c.authenticate(plain_token(role.name, role.password, authzid="postgres"))
        else:
            scram = Scram(role.name, role.password, authzid="postgres")
            answer = c.authenticate(scram.client_first())
            if answer.error == ERR_NONE:
                scram.take_server_first(answer.data)
                answer = c.authenticate(scram.client_final())
        assert answer.error != ERR_NONE, f"{mechanism} login with authzid=postgres accepted"
        c.expect_no_session(f"after the {mechanism} login with a foreign authzid")


def test_failed_logins_are_logged_by_user_without_the_password(roles):
    if not SERVER_LOG:
        pytest.skip("PG_KAFKA_SERVER_LOG is unset")
    start = os.path.getsize(SERVER_LOG)
    # A precomputed verifier: the cleartext never reaches Postgres, so if it shows up in the
    # log the Kafka path put it there.
    password = new_password()
    role = roles("logged", password=password, verifier=scram_verifier(password, 4096))
    login_works("PLAIN", role)
    with Conn() as c:
        proofs = [scram_login(c, role.name, role.password).proof]
    ghost = new_role_name("ghost")
    tried = {
        ("SCRAM-SHA-256", role.name): new_password(),
        ("PLAIN", role.name): new_password(),
        ("PLAIN", ghost): new_password(),
    }
    source = fresh_source()
    for (mechanism, user), wrong in tried.items():
        with Conn(source=source) as c:
            refused_login(c, mechanism, user, wrong)
    with Conn(source=source) as c:
        scram = scram_first(c, role.name, new_password())
        assert c.authenticate(scram.client_final()).error == ERR_SASL_AUTHENTICATION_FAILED
        proofs.append(scram.proof)

    deadline = time.monotonic() + ANSWER_WAIT
    while True:
        lines = server_log_since(start).splitlines()
        missing = [
            (mechanism, user) for mechanism, user in tried
            if not any(
                f'SASL authentication failed for user "{user}"' in line and mechanism in line
                for line in lines
            )
        ]
        if not missing:
            break
        assert time.monotonic() < deadline, f"no failure line in {SERVER_LOG} for {missing}"
        time.sleep(0.2)
    text = "\n".join(lines)
    for secret in [role.password, *tried.values()]:
        assert secret not in text, "a password appears in the server log"
    # A proof with the salt and iteration count is enough for an offline dictionary attack.
    for proof in proofs:
        assert proof not in text, "a SCRAM client proof appears in the server log"


# --------------------------------------------------------------------------------------------
# Hostile input before and during authentication


# Each sends a request the broker must not serve before authentication, in some login state.
def metadata_first(c):
    c.send_metadata()


def metadata_after_api_versions(c):
    assert c.api_versions()[0] == ERR_NONE
    c.send_metadata()


def metadata_after_handshake(c):
    handshake_ok(c, "SCRAM-SHA-256")
    c.send_metadata()


def metadata_mid_scram(c):
    scram_first(c, new_role_name("ghost"))
    c.send_metadata()


def produce_first(c):
    # A Produce v3 header with a junk body: refused for its API, whatever the body holds.
    c.send(0, 3, os.urandom(64))


@pytest.mark.parametrize(
    "unserved",
    [metadata_first, metadata_after_api_versions, metadata_after_handshake, metadata_mid_scram,
     produce_first],
    ids=lambda f: f.__name__,
)
def test_requests_before_authentication_close_the_connection(unserved, roles, bootstrap):
    with Conn(source=fresh_source()) as c:
        try:
            unserved(c)
        except Closed:
            pass
        c.expect_closed(f"{unserved.__name__}: an unauthenticated request")
    broker_still_serves(bootstrap, roles("after"))


def test_a_frame_over_the_pre_auth_limit_closes_the_connection(roles, bootstrap):
    with Conn() as c:
        header = c.header(API_API_VERSIONS, 0)
        size = PRE_AUTH_MAX_FRAME + 1
        try:
            c.send_bytes(struct.pack(">i", size) + header + bytes(size - len(header)))
        except Closed:
            pass
        c.expect_closed("a pre-authentication frame of 524289 bytes")
    broker_still_serves(bootstrap, roles("after"))


def test_a_100_mb_token_closes_the_connection(roles, bootstrap):
    """Only the size prefix claims 100 MB; the broker must give up without waiting for it."""
    with Conn() as c:
        handshake_ok(c, "SCRAM-SHA-256")
        header = c.header(API_SASL_AUTHENTICATE, 1)
        size = 100 * 1000 * 1000
        start = struct.pack(">i", size) + header + struct.pack(">i", size - len(header) - 4)
        try:
            c.send_bytes(start + os.urandom(64 * 1024))
        except Closed:
            pass
        c.expect_closed("a SaslAuthenticate frame claiming 100 MB")
    broker_still_serves(bootstrap, roles("after"))


@pytest.mark.parametrize("first", ["api-versions", "nothing"])
def test_authenticate_before_handshake_does_not_authenticate(first, roles, bootstrap):
    role = roles("nohandshake")
    with Conn(source=fresh_source()) as c:
        if first == "api-versions":
            c.api_versions()
        try:
            answer = c.authenticate(plain_token(role.name, role.password))
        except Closed:
            answer = None
        if answer is not None:
            assert answer.error != ERR_NONE, f"SaslAuthenticate without SaslHandshake: {answer}"
            c.expect_no_session("after SaslAuthenticate without SaslHandshake")
    broker_still_serves(bootstrap, role)


@pytest.mark.parametrize("mechanism", MECHANISMS)
@pytest.mark.parametrize("token", ["empty", "garbage"])
def test_a_bad_token_fails_without_authenticating(mechanism, token, roles, bootstrap):
    data = b"" if token == "empty" else os.urandom(256)
    with Conn(source=fresh_source()) as c:
        handshake_ok(c, mechanism)
        try:
            answer = c.authenticate(data)
        except Closed:
            answer = None
        if answer is not None:
            assert answer.error != ERR_NONE, f"{token} {mechanism} token accepted: {answer}"
            c.expect_no_session(f"after an {token} {mechanism} token")
    broker_still_serves(bootstrap, roles("after"))


def test_a_client_final_with_a_foreign_nonce_fails(roles):
    """A proof made over a nonce the server did not issue (here the client's alone) fails even
    though it is otherwise correct for the password."""
    role = roles("nonce")
    start = os.path.getsize(SERVER_LOG) if SERVER_LOG else None
    with Conn(source=fresh_source()) as c:
        scram = scram_first(c, role.name, role.password)
        answer = c.authenticate(scram.client_final(nonce=scram.nonce + "x"))
        assert answer.error == ERR_SASL_AUTHENTICATION_FAILED, answer
        c.expect_no_session("after a client-final with a foreign nonce")
    if start is not None:
        # The rejected message holds a valid proof: it must not be logged either.
        assert scram.proof not in server_log_since(start), "a SCRAM client proof is in the log"


def test_a_replayed_client_final_fails(roles):
    role = roles("replay")
    with Conn() as c:
        first = scram_login(c, role.name, role.password)
        recorded = first.client_final()
    with Conn(source=fresh_source()) as c:
        again = scram_first(c, role.name, role.password, nonce=first.nonce)
        assert again.server_nonce != first.server_nonce, "the server nonce repeated"
        answer = c.authenticate(recorded)
        assert answer.error == ERR_SASL_AUTHENTICATION_FAILED, answer
        c.expect_no_session("after a replayed client-final")


@pytest.mark.slow
def test_stalled_logins_are_closed_within_the_request_timeout(roles):
    """Connections that stop mid-login are closed by the broker (request_timeout_ms, 30 s on the
    test cluster); meanwhile other logins are served."""
    role = roles("stall")

    def after_api_versions(c):
        c.api_versions()

    def after_handshake(c):
        c.api_versions()
        handshake_ok(c, "SCRAM-SHA-256")

    def after_server_first(c):
        c.api_versions()
        scram_first(c, role.name, role.password)

    stalled = []
    for stall in (after_api_versions, after_handshake, after_server_first):
        c = Conn()
        opened = time.monotonic()
        stall(c)
        stalled.append((stall.__name__, c, opened))
    try:
        login_works("SCRAM-SHA-256", role)
        for name, c, opened in stalled:
            left = max(0.1, opened + STALLED_LOGIN_BOUND - time.monotonic())
            c.expect_closed(f"a login stalled {name}", within=left)
    finally:
        for _, c, _ in stalled:
            c.close()
    login_works("PLAIN", role)


# --------------------------------------------------------------------------------------------
# The client libraries over SASL_PLAINTEXT


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_confluent_kafka_round_trip_over_sasl(mechanism, roles, bootstrap):
    role = roles("ck")
    topic = unique("py-sasl-ck")
    group = unique("py-sasl-ck-group")
    create_topic(bootstrap, topic, 1)
    records = sample_records()
    conf = ck_sasl(mechanism, role)
    ck_produce(conf, topic, records)

    # A group member over SASL: FindCoordinator must send it to the SASL listener too.
    consumer = group_consumer(SASL_BOOTSTRAP, group, **{k: v for k, v in conf.items()
                                                        if k != "bootstrap.servers"})
    consumer.subscribe([topic])
    got = []
    deadline = time.monotonic() + PATIENCE
    try:
        while len(got) < len(records):
            assert time.monotonic() < deadline, f"only {len(got)} records arrived"
            m = consumer.poll(0.2)
            if m is None:
                continue
            assert m.error() is None, m.error()
            got.append((m.key(), m.value()))
        consumer.commit(asynchronous=False)
        committed = consumer.committed([TopicPartition(topic, 0)], timeout=PATIENCE)
    finally:
        consumer.close()
    assert got == records
    assert committed[0].offset == len(records)
    # The same bytes over PLAINTEXT: one log, whichever listener wrote it.
    plain = ck_read({"bootstrap.servers": bootstrap}, topic, len(records))
    assert [(k, v) for _, k, v in plain] == records


def test_confluent_kafka_sees_a_wrong_password_as_an_authentication_failure(roles):
    role = roles("ckbad")
    errors = ck_refusal_errors(ck_sasl("SCRAM-SHA-256", Role(role.name, new_password())))
    assert any(e.code() == KafkaError._AUTHENTICATION for e in errors), errors


def test_confluent_kafka_fails_with_an_unsupported_mechanism(roles):
    role = roles("ck512")
    errors = ck_refusal_errors(ck_sasl("SCRAM-SHA-512", role))
    assert any("mechanism" in e.str().lower() for e in errors), errors


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_kafka_python_round_trip_over_sasl(mechanism, roles, bootstrap):
    role = roles("kp")
    topic = unique("py-sasl-kp")
    group = unique("py-sasl-kp-group")
    create_topic(bootstrap, topic, 1)
    records = sample_records()
    sasl = kp_sasl(mechanism, role)

    p = KafkaProducer(acks="all", enable_idempotence=False, **sasl)
    futures = [p.send(topic, key=k, value=v, partition=0) for k, v in records]
    offsets = [f.get(timeout=PATIENCE).offset for f in futures]
    p.close()
    assert offsets == list(range(len(records)))

    consumer = KafkaConsumer(
        topic, group_id=group, auto_offset_reset="earliest", enable_auto_commit=False,
        session_timeout_ms=10000, heartbeat_interval_ms=500, **sasl,
    )
    try:
        got = poll_n(consumer, len(records))
        consumer.commit()
        committed = consumer.committed(KpTopicPartition(topic, 0))
    finally:
        consumer.close()
    assert [(r.key, r.value) for r in got] == records
    assert committed == len(records)


@pytest.mark.parametrize(
    "mechanism, wrong_password, expected",
    [("SCRAM-SHA-256", True, "SaslAuthenticationFailedError"),
     ("PLAIN", True, "SaslAuthenticationFailedError"),
     ("SCRAM-SHA-512", False, "UnsupportedSaslMechanismError")],
    ids=["scram-wrong-password", "plain-wrong-password", "unsupported-mechanism"],
)
def test_kafka_python_refused_logins(mechanism, wrong_password, expected, roles, caplog):
    """The client cannot bootstrap. kafka-python 3.0.12 discards bytes read together with EOF
    (KafkaTCPTransport._sock_recv), so when the refusal and the close arrive at once it reports
    "socket disconnected" instead of the broker's error; either is accepted."""
    role = roles("kpbad")
    caplog.set_level(logging.WARNING, logger="kafka")
    sasl = kp_sasl(mechanism, role, password=new_password() if wrong_password else None)
    with pytest.raises(KafkaPythonError):
        KafkaProducer(bootstrap_timeout_ms=10000, **sasl).close()
    assert expected in caplog.text or "socket disconnected" in caplog.text, caplog.text[-2000:]


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_kcat_round_trip_over_sasl(mechanism, roles, bootstrap, tmp_path):
    role = roles("kcat")
    topic = unique("py-sasl-kcat")
    create_topic(bootstrap, topic, 1)
    # kcat sends each file as one message; an empty file is not one, so no empty value here.
    values = [v for _, v in sample_records() if v]
    files = []
    for i, value in enumerate(values):
        path = tmp_path / f"m{i}"
        path.write_bytes(value)
        files.append(str(path))
    key = b"kcat-key"
    p = kcat_sasl(mechanism, role, ["-X", "enable.idempotence=false", "-m", "30",
                                    "-P", "-t", topic, "-p", "0", "-k", key.decode(), *files])
    assert p.returncode == 0, p.stderr.decode()[-500:]

    c = kcat_sasl(mechanism, role, ["-m", "30", "-C", "-t", topic, "-p", "0", "-o", "beginning",
                                    "-e", "-c", str(len(values)), "-q",
                                    "-f", "%o|%K|%k|%S|%s\n"])
    assert c.returncode == 0, c.stderr.decode()[-500:]
    assert parse_kcat(c.stdout) == [(i, key, v) for i, v in enumerate(values)]


def test_kcat_fails_with_a_wrong_password(roles):
    role = roles("kcatbad")
    p = kcat_sasl("SCRAM-SHA-256", role, ["-m", "10", "-L"], password=new_password())
    assert p.returncode != 0, p.stdout.decode()[-500:]
    assert b"authentication" in p.stderr.lower(), p.stderr.decode()[-500:]


# --------------------------------------------------------------------------------------------
# A flood of failed logins (slow; last, so the failure delay it builds up slows no other test)

FLOOD = 1000
FLOOD_CONCURRENCY = 40
# A bad attempt waits this long for its (delayed) answer, then gives up and counts as failed.
FLOOD_ANSWER_WAIT = 1.0


def flood_attempt(source, victim, i):
    """One bad login; returns (reached the authentication step, outcome)."""
    try:
        c = Conn(source=source, timeout=ANSWER_WAIT)
    except OSError:
        return False, "connect failed"
    try:
        scram = i % 10 == 0
        user = victim.name if i % 2 else new_role_name("ghost")
        error, _ = c.handshake("SCRAM-SHA-256" if scram else "PLAIN")
        if error != ERR_NONE:
            return False, f"handshake error {error}"
        if scram:
            s = Scram(user, new_password())
            first = c.authenticate(s.client_first())
            if first.error != ERR_NONE:
                return True, "refused"
            s.take_server_first(first.data)
            token = s.client_final()
        else:
            token = plain_token(user, new_password())
        c.sock.settimeout(FLOOD_ANSWER_WAIT)
        try:
            answer = c.authenticate(token)
        except socket.timeout:
            return True, "no answer yet"
        except Closed:
            return True, "closed"
        return True, "ACCEPTED" if answer.error == ERR_NONE else "refused"
    except (Closed, OSError) as e:
        return False, f"before authentication: {type(e).__name__}"
    finally:
        c.close()


@pytest.mark.slow
def test_a_flood_of_failed_logins_does_not_keep_a_good_client_out(roles, bootstrap):
    """1,000 failed logins from one address, FLOOD_CONCURRENCY at a time, while a good client
    logs in, produces and consumes. The flood goes on until the good client is done, so the good
    client's work happens during it."""
    victim = roles("victim")
    good = roles("good")
    topic = unique("py-sasl-flood")
    create_topic(bootstrap, topic, 1)
    source = fresh_source()

    lock = threading.Lock()
    outcomes = Counter()
    delivered = 0
    started = 0
    good_done = threading.Event()
    deadline = time.monotonic() + 2 * PATIENCE

    def worker():
        nonlocal delivered, started
        while True:
            with lock:
                if (delivered >= FLOOD and good_done.is_set()) or time.monotonic() > deadline:
                    return
                started += 1
                i = started
            try:
                reached, outcome = flood_attempt(source, victim, i)
            except Exception as e:  # counted and shown below, never fatal to the worker
                reached, outcome = False, f"error {type(e).__name__}: {e}"
            with lock:
                outcomes[outcome] += 1
                delivered += reached

    workers = [threading.Thread(target=worker, daemon=True) for _ in range(FLOOD_CONCURRENCY)]
    for w in workers:
        w.start()
    try:
        # The flood is under way before the good client starts.
        while True:
            with lock:
                if delivered >= 100:
                    break
            assert time.monotonic() < deadline, f"the flood did not get going: {outcomes}"
            time.sleep(0.05)
        # A good login from the flooding address itself, then a client library from the default
        # address: SCRAM producer, PLAIN reader.
        login_works("SCRAM-SHA-256", good, source)
        records = sample_records()
        ck_produce(ck_sasl("SCRAM-SHA-256", good), topic, records)
        got = ck_read(ck_sasl("PLAIN", good), topic, len(records))
        assert [(k, v) for _, k, v in got] == records
        flooding = sum(w.is_alive() for w in workers)
    finally:
        good_done.set()
        for w in workers:
            w.join(PATIENCE)
    assert not any(w.is_alive() for w in workers), "flood workers hang"
    assert outcomes["ACCEPTED"] == 0, f"bad logins were accepted: {outcomes}"
    assert delivered >= FLOOD, f"only {delivered} bad logins reached the broker: {outcomes}"
    assert flooding == FLOOD_CONCURRENCY, "flood workers stopped before the good client was done"
    broker_still_serves(bootstrap, good)
