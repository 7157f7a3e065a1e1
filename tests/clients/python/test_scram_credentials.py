"""DescribeUserScramCredentials and AlterUserScramCredentials through confluent-kafka's
AdminClient over SASL: credentials are described from pg_authid to a Postgres superuser only,
and every change is refused with a pointer to ALTER ROLE ... PASSWORD.

Needs the SASL_PLAINTEXT listener (PG_KAFKA_SASL_BOOTSTRAP) and psql (PG_KAFKA_PGURL).
"""

import os
import secrets

import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (
    AdminClient,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)

from conftest import PATIENCE
from test_cleaner import sql

SASL_BOOTSTRAP = os.environ.get("PG_KAFKA_SASL_BOOTSTRAP")

pytestmark = pytest.mark.skipif(not SASL_BOOTSTRAP, reason="PG_KAFKA_SASL_BOOTSTRAP is unset")


@pytest.fixture
def roles():
    made = []

    def create(attrs, encryption="scram-sha-256"):
        name = f"kafka_scramcred_{os.getpid()}_{secrets.token_hex(4)}"
        password = "pw-" + secrets.token_hex(8)
        sql(f"SET password_encryption = '{encryption}'; CREATE ROLE {name} {attrs} PASSWORD '{password}'")
        made.append(name)
        return name, password

    yield create
    for name in made:
        sql(f"DROP ROLE IF EXISTS {name}")


def admin_as(name, password):
    _CLIENTS.append(AdminClient({
        "bootstrap.servers": SASL_BOOTSTRAP,
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanisms": "SCRAM-SHA-256",
        "sasl.username": name,
        "sasl.password": password,
    }))
    return _CLIENTS[-1]


# Futures fail with _DESTROY once their AdminClient is collected: tests keep their clients here.
_CLIENTS = []


def error_of(future):
    with pytest.raises(KafkaException) as e:
        future.result(timeout=PATIENCE)
    return e.value.args[0]


def test_scram_credentials_describe_from_pg_authid_for_a_superuser(roles):
    admin_name, admin_pw = roles("LOGIN SUPERUSER")
    user, _ = roles("LOGIN")
    md5_user, _ = roles("LOGIN", encryption="md5")
    admin = admin_as(admin_name, admin_pw)
    futures = admin.describe_user_scram_credentials([user, md5_user])
    described = futures[user].result(timeout=PATIENCE)
    assert [(c.mechanism, c.iterations) for c in described.scram_credential_infos] == [
        (ScramMechanism.SCRAM_SHA_256, 4096)
    ]
    assert error_of(futures[md5_user]).code() == KafkaError.RESOURCE_NOT_FOUND
    everyone = admin.describe_user_scram_credentials().result(timeout=PATIENCE)
    assert user in everyone and admin_name in everyone and md5_user not in everyone


def test_scram_credentials_are_not_described_to_other_roles(roles):
    name, password = roles("LOGIN")
    futures = admin_as(name, password).describe_user_scram_credentials([name])
    assert error_of(futures[name]).code() == KafkaError.CLUSTER_AUTHORIZATION_FAILED


def test_scram_credentials_alteration_points_to_alter_role(roles):
    admin_name, admin_pw = roles("LOGIN SUPERUSER")
    user, _ = roles("LOGIN")
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 8192)
    futures = admin_as(admin_name, admin_pw).alter_user_scram_credentials([
        UserScramCredentialUpsertion(user, info, b"new password", b"salt"),
        UserScramCredentialDeletion("someone_else", ScramMechanism.SCRAM_SHA_256),
    ])
    for name in (user, "someone_else"):
        err = error_of(futures[name])
        assert err.code() == KafkaError.POLICY_VIOLATION
        assert "ALTER ROLE" in err.str()
    # Nothing changed: the role's verifier still has its own 4096 iterations.
    (verifier,) = sql(f"SELECT rolpassword FROM pg_authid WHERE rolname = '{user}'")[0]
    assert verifier.startswith("SCRAM-SHA-256$4096:")
