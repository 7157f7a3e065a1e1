"""TLS listeners: SSL and SASL_SSL with a test CA that scripts/cluster.sh makes under
$PGDATA/kafka-tls, client certificates whose CN names a Postgres role, and certificates reloaded
by pg_reload_conf().

`make blackbox` sets PG_KAFKA_SSL_BOOTSTRAP, PG_KAFKA_SASL_SSL_BOOTSTRAP and PG_KAFKA_TLS_DIR;
the tests skip without them. Client certificates are made here with openssl, signed by the test
CA; the test cluster requests client certificates (pg_kafka.ssl_client_auth = requested).
"""

import os
import shutil
import socket
import ssl
import subprocess
import time

import pytest
from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import PATIENCE, unique
from test_cleaner import sql
from test_confluent_kafka import group_consumer
from test_sasl import grant_clients

SSL_BOOTSTRAP = os.environ.get("PG_KAFKA_SSL_BOOTSTRAP")
SASL_SSL_BOOTSTRAP = os.environ.get("PG_KAFKA_SASL_SSL_BOOTSTRAP")
TLS_DIR = os.environ.get("PG_KAFKA_TLS_DIR")

pytestmark = pytest.mark.skipif(
    not (SSL_BOOTSTRAP and SASL_SSL_BOOTSTRAP and TLS_DIR),
    reason="no SSL/SASL_SSL listeners (PG_KAFKA_SSL_BOOTSTRAP, PG_KAFKA_TLS_DIR unset)",
)


def ca_file():
    return os.path.join(TLS_DIR, "ca.crt")


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=PATIENCE)


def signed_cert(tmp_path, name, cn, ca_dir=None):
    """A key and a certificate with subject CN `cn`, signed by the CA in `ca_dir` (the test
    cluster's by default): (cert path, key path)."""
    ca_dir = ca_dir or TLS_DIR
    ext = tmp_path / f"{name}.ext"
    ext.write_text("basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-subj", f"/CN={cn}", "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=tmp_path)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", os.path.join(ca_dir, "ca.crt"),
            "-CAkey", os.path.join(ca_dir, "ca.key"), "-CAcreateserial",
            "-CAserial", str(tmp_path / "ca.srl"), "-days", "2", "-extfile", str(ext),
            "-out", f"{name}.crt", cwd=tmp_path)
    return str(tmp_path / f"{name}.crt"), str(tmp_path / f"{name}.key")


def other_ca(tmp_path):
    """A CA nobody configured: its directory, holding ca.crt and ca.key."""
    d = tmp_path / "other-ca"
    d.mkdir()
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-days", "2", "-subj", "/CN=some other CA", "-keyout", "ca.key", "-out", "ca.crt",
            cwd=d)
    return str(d)


def ssl_conf(bootstrap, **extra):
    conf = {
        "bootstrap.servers": bootstrap,
        "security.protocol": "SSL",
        "ssl.ca.location": ca_file(),
        "socket.timeout.ms": 10000,
    }
    conf.update(extra)
    return conf


def round_trip(conf, tag):
    """Produce three records with `conf` and read them back with a group consumer with `conf`."""
    topic = unique(f"py-tls-{tag}")
    admin = AdminClient(conf)
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(timeout=PATIENCE)
    values = [b"tls-" + bytes([i]) * (i + 1) for i in range(3)]
    p = Producer({**conf, "acks": "all"})
    errors = []
    for v in values:
        p.produce(topic, v, on_delivery=lambda err, _m: err and errors.append(err))
    assert p.flush(PATIENCE) == 0 and not errors, errors
    c = group_consumer(conf["bootstrap.servers"], unique("py-tls-group"),
                       **{k: v for k, v in conf.items() if k != "bootstrap.servers"})
    c.subscribe([topic])
    got, deadline = [], time.time() + PATIENCE
    while len(got) < len(values) and time.time() < deadline:
        m = c.poll(1.0)
        if m is not None and m.error() is None:
            got.append(m.value())
    c.close()
    assert got == values


def cannot_connect(conf):
    """The client finds no usable broker (it is refused or cannot verify)."""
    admin = AdminClient({**conf, "socket.timeout.ms": 5000})
    with pytest.raises(KafkaException):
        admin.list_topics(timeout=8)


@pytest.fixture
def role():
    made = []

    def create(attrs="LOGIN", password="tls-pw-0123"):
        name = f"kafka_tls_{os.getpid()}_{len(made)}_{int(time.time() * 1000) % 100000}"
        sql(f"CREATE ROLE {name} {attrs} PASSWORD '{password}'")
        grant_clients(name)
        made.append(name)
        return name, password

    yield create
    for name in made:
        sql(f"DROP ROLE IF EXISTS {name}")


def test_ssl_round_trip_with_the_server_verified_against_the_ca():
    round_trip(ssl_conf(SSL_BOOTSTRAP), "ssl")


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "PLAIN"])
def test_sasl_ssl_round_trip_as_a_role(role, mechanism):
    name, password = role()
    conf = ssl_conf(SASL_SSL_BOOTSTRAP, **{
        "security.protocol": "SASL_SSL", "sasl.mechanisms": mechanism,
        "sasl.username": name, "sasl.password": password,
    })
    round_trip(conf, "sasl-ssl")
    cannot_connect({**conf, "sasl.password": "wrong"})


def test_a_client_that_does_not_trust_the_server_certificate_fails(tmp_path):
    cannot_connect(ssl_conf(SSL_BOOTSTRAP, **{"ssl.ca.location": os.path.join(other_ca(tmp_path), "ca.crt")}))


def test_plaintext_on_a_tls_listener_is_closed():
    host, port = SSL_BOOTSTRAP.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as s:
        # An ApiVersions v0 request in the clear is not a TLS ClientHello.
        s.sendall(b"\x00\x00\x00\x0a\x00\x12\x00\x00\x00\x00\x00\x01\xff\xff")
        s.settimeout(20)
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except ConnectionResetError:
            pass
        # The connection ends (a timeout would raise); rustls may send an alert first, never a
        # Kafka response (a 4-byte size, then correlation id 1).
        assert data[4:8] != b"\x00\x00\x00\x01", data


def test_a_client_certificate_names_the_role(tmp_path, role):
    name, _ = role()
    cert, key = signed_cert(tmp_path, "alice", name)
    round_trip(ssl_conf(SSL_BOOTSTRAP, **{"ssl.certificate.location": cert, "ssl.key.location": key}), "mtls")


@pytest.mark.parametrize("kind", ["unknown-role", "nologin-role"])
def test_a_client_certificate_for_no_usable_role_is_refused(tmp_path, role, kind):
    if kind == "unknown-role":
        cert, key = signed_cert(tmp_path, "ghost", "kafka_tls_no_such_role")
    else:
        name, _ = role("NOLOGIN")
        cert, key = signed_cert(tmp_path, "nologin", name)
    cannot_connect(ssl_conf(SSL_BOOTSTRAP, **{"ssl.certificate.location": cert, "ssl.key.location": key}))


def api_versions_answered(cert=None, key=None):
    """Whether an ApiVersions request over TLS (with this client certificate) is answered.
    librdkafka does not offer a certificate the server's CA list does not name, so this uses
    Python's TLS client, which presents whatever it is given."""
    host, port = SSL_BOOTSTRAP.rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=ca_file())
    if cert:
        ctx.load_cert_chain(cert, key)
    try:
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as s:
                s.sendall(b"\x00\x00\x00\x0a\x00\x12\x00\x00\x00\x00\x00\x07\xff\xff")
                head = s.recv(8)
                return len(head) == 8 and head[4:8] == b"\x00\x00\x00\x07"
    except (ssl.SSLError, ConnectionError, socket.timeout):
        return False


def test_a_client_certificate_from_another_ca_is_refused(tmp_path, role):
    name, _ = role()
    good = signed_cert(tmp_path, "good", name)
    foreign = signed_cert(tmp_path, "foreign", name, ca_dir=other_ca(tmp_path))
    assert api_versions_answered(*good)
    assert api_versions_answered(), "client certificates are requested, not required"
    assert not api_versions_answered(*foreign)


def served_certificate_cn():
    host, port = SSL_BOOTSTRAP.rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=ca_file())
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as s:
            subject = dict(x[0] for x in s.getpeercert()["subject"])
            return subject["commonName"]


def test_certificates_are_reloaded_by_pg_reload_conf(tmp_path):
    assert served_certificate_cn() == "127.0.0.1"
    crt, key = os.path.join(TLS_DIR, "server.crt"), os.path.join(TLS_DIR, "server.key")
    saved_crt, saved_key = tmp_path / "saved.crt", tmp_path / "saved.key"
    shutil.copyfile(crt, saved_crt)
    shutil.copyfile(key, saved_key)
    new_crt, new_key = signed_cert(tmp_path, "renewed", "renewed.pg-kafka.test")
    try:
        # Written into the existing files, so they keep their owner and mode.
        with open(key, "wb") as f:
            f.write(open(new_key, "rb").read())
        with open(crt, "wb") as f:
            f.write(open(new_crt, "rb").read())
        sql("SELECT pg_reload_conf()")
        deadline = time.time() + PATIENCE
        while served_certificate_cn() != "renewed.pg-kafka.test":
            assert time.time() < deadline, "the renewed certificate was never served"
            time.sleep(0.2)
        # A reload with a broken key keeps the certificate in use.
        with open(key, "wb") as f:
            f.write(b"not a key")
        sql("SELECT pg_reload_conf()")
        time.sleep(1.5)
        assert served_certificate_cn() == "renewed.pg-kafka.test"
    finally:
        with open(key, "wb") as f:
            f.write(saved_key.read_bytes())
        with open(crt, "wb") as f:
            f.write(saved_crt.read_bytes())
        sql("SELECT pg_reload_conf()")
    deadline = time.time() + PATIENCE
    while served_certificate_cn() != "127.0.0.1":
        assert time.time() < deadline, "the original certificate did not come back"
        time.sleep(0.2)


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "PLAIN"])
def test_kafka_python_round_trip_over_sasl_ssl(role, mechanism, bootstrap):
    from kafka import KafkaConsumer, KafkaProducer

    from test_confluent_kafka import create_topic
    from test_kafka_python import poll_n

    name, password = role()
    topic = unique("py-tls-kp")
    create_topic(bootstrap, topic, 1)
    conf = {
        "bootstrap_servers": SASL_SSL_BOOTSTRAP,
        "security_protocol": "SASL_SSL",
        "ssl_cafile": ca_file(),
        "sasl_mechanism": mechanism,
        "sasl_plain_username": name,
        "sasl_plain_password": password,
    }
    records = [(b"k%d" % i, bytes(range(256)) * (i + 1)) for i in range(3)]
    p = KafkaProducer(acks="all", enable_idempotence=False, **conf)
    offsets = [p.send(topic, key=k, value=v, partition=0).get(timeout=PATIENCE).offset for k, v in records]
    p.close()
    assert offsets == [0, 1, 2]
    c = KafkaConsumer(topic, group_id=unique("py-tls-kp-group"), auto_offset_reset="earliest",
                      enable_auto_commit=False, **conf)
    try:
        got = poll_n(c, len(records))
    finally:
        c.close()
    assert [(r.key, r.value) for r in got] == records
