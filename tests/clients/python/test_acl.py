"""Kafka ACLs on Postgres roles, black box: allow, deny, prefixed, deny-wins, role membership,
Metadata filtering, authorized operations, the ACL admin APIs, SQL management, record access
from SQL by ACL, and the audit log of administrative requests.

The test cluster runs with pg_kafka.authorization = on and User:ANONYMOUS (its PLAINTEXT
listener) as a super user, so PLAINTEXT clients set up topics and data. The roles made here log
in over SASL_PLAINTEXT with SCRAM-SHA-256 and start with no ACL at all.
"""

import time

import pytest
from confluent_kafka import KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import (AclBinding, AclBindingFilter, AclOperation, AclPermissionType,
                                   AdminClient, NewTopic, ResourcePatternType, ResourceType)

from conftest import PATIENCE, unique
from test_cleaner import sql
from test_confluent_kafka import create_topic, group_consumer, produce
from test_sasl import ck_sasl, roles  # noqa: F401 (roles is a fixture)

def grant(role, operation, resource_type, name=None, pattern="LITERAL", permission="ALLOW"):
    args = f"'{role}', '{operation}', '{resource_type}', " + (f"'{name}'" if name else "NULL")
    sql(f"SELECT kafka.grant_acl({args}, '{pattern}', '{permission}')")


def produce_error(conf, topic):
    """The delivery error of one record produced to `topic` with `conf` (None when stored)."""
    p = Producer({**conf, "acks": "all", "enable.idempotence": False,
                  "message.timeout.ms": 10000})
    result = []
    p.produce(topic, b"v", on_delivery=lambda err, _m: result.append(err))
    p.flush(PATIENCE)
    assert result, "no delivery report"
    return result[0]


def code(err):
    return err.code() if err is not None else None


def eventually(check, what):
    """check() until it is true; ACL changes made through SQL apply within a second."""
    deadline = time.time() + 10
    while not check():
        assert time.time() < deadline, what
        time.sleep(0.2)


@pytest.fixture
def topic(bootstrap):
    name = unique("py-acl")
    create_topic(bootstrap, name, 1)
    return name


def test_a_role_without_acls_may_not_produce_or_see_topics(roles, topic):
    bob = roles("bob", acls=False)
    conf = ck_sasl("SCRAM-SHA-256", bob)
    assert code(produce_error(conf, topic)) == KafkaError.TOPIC_AUTHORIZATION_FAILED
    listed = AdminClient(conf).list_topics(timeout=PATIENCE).topics
    assert topic not in listed


def test_literal_allow_lets_a_role_produce_and_consume_with_its_group(bootstrap, roles, topic):
    bob = roles("bob", acls=False)
    group = unique("py-acl-group")
    grant(bob.name, "WRITE", "TOPIC", topic)
    grant(bob.name, "READ", "TOPIC", topic)
    grant(bob.name, "READ", "GROUP", group)
    conf = ck_sasl("SCRAM-SHA-256", bob)
    assert produce_error(conf, topic) is None
    c = group_consumer(conf["bootstrap.servers"], group,
                       **{k: v for k, v in conf.items() if k != "bootstrap.servers"})
    try:
        c.subscribe([topic])
        deadline, got = time.time() + PATIENCE, None
        while got is None and time.time() < deadline:
            m = c.poll(0.5)
            if m is not None:
                assert m.error() is None, m.error()
                got = m.value()
        assert got == b"v"
        c.commit(asynchronous=False)
    finally:
        c.close()
    # Another group is not granted: joining it fails with GROUP_AUTHORIZATION_FAILED.
    other = group_consumer(conf["bootstrap.servers"], unique("py-acl-other"),
                           **{k: v for k, v in conf.items() if k != "bootstrap.servers"})
    try:
        other.subscribe([topic])
        deadline, err = time.time() + PATIENCE, None
        while err is None and time.time() < deadline:
            m = other.poll(0.5)
            if m is not None and m.error() is not None:
                err = m.error()
        assert err is not None and err.code() == KafkaError.GROUP_AUTHORIZATION_FAILED, err
    finally:
        other.close()


def test_read_alone_does_not_allow_write(roles, topic):
    bob = roles("bob", acls=False)
    grant(bob.name, "READ", "TOPIC", topic)
    conf = ck_sasl("SCRAM-SHA-256", bob)
    assert code(produce_error(conf, topic)) == KafkaError.TOPIC_AUTHORIZATION_FAILED
    # READ implies DESCRIBE: the topic is listed.
    assert topic in AdminClient(conf).list_topics(timeout=PATIENCE).topics


def test_prefixed_acl_covers_names_that_start_with_it(bootstrap, roles):
    bob = roles("bob", acls=False)
    prefix = unique("py-acl-pfx") + "."
    inside, outside = prefix + "orders", unique("py-acl-nopfx")
    for t in (inside, outside):
        create_topic(bootstrap, t, 1)
    grant(bob.name, "WRITE", "TOPIC", prefix, pattern="PREFIXED")
    conf = ck_sasl("SCRAM-SHA-256", bob)
    assert produce_error(conf, inside) is None
    assert code(produce_error(conf, outside)) == KafkaError.TOPIC_AUTHORIZATION_FAILED


def test_deny_wins_over_allow(bootstrap, roles, topic):
    bob = roles("bob", acls=False)
    other = unique("py-acl-other")
    create_topic(bootstrap, other, 1)
    grant(bob.name, "ALL", "TOPIC", "*")
    grant(bob.name, "WRITE", "TOPIC", topic, permission="DENY")
    conf = ck_sasl("SCRAM-SHA-256", bob)
    assert code(produce_error(conf, topic)) == KafkaError.TOPIC_AUTHORIZATION_FAILED
    assert produce_error(conf, other) is None


def test_acls_of_a_role_apply_to_its_members_and_follow_grant_and_revoke(roles, topic):
    analysts = roles("analysts", attrs="NOLOGIN", password=None, acls=False)
    alice = roles("alice", acls=False)
    grant(analysts.name, "WRITE", "TOPIC", topic)
    conf = ck_sasl("SCRAM-SHA-256", alice)
    assert code(produce_error(conf, topic)) == KafkaError.TOPIC_AUTHORIZATION_FAILED
    sql(f"GRANT {analysts.name} TO {alice.name}")
    # A new login sees the membership at once; a running one within a second.
    assert produce_error(conf, topic) is None
    p = Producer({**conf, "acks": "all", "enable.idempotence": False,
                  "message.timeout.ms": 10000})
    try:
        def outcome():
            result = []
            p.produce(topic, b"x", on_delivery=lambda err, _m: result.append(err))
            p.flush(PATIENCE)
            return code(result[0]) if result else "none"
        assert outcome() is None
        sql(f"REVOKE {analysts.name} FROM {alice.name}")
        eventually(lambda: outcome() == KafkaError.TOPIC_AUTHORIZATION_FAILED,
                   "the revoked membership still allows writing")
    finally:
        p.flush(1)


def test_sql_grant_and_revoke_apply_to_a_running_connection(roles, topic):
    bob = roles("bob", acls=False)
    admin = AdminClient(ck_sasl("SCRAM-SHA-256", bob))
    assert topic not in admin.list_topics(timeout=PATIENCE).topics
    grant(bob.name, "DESCRIBE", "TOPIC", topic)
    eventually(lambda: topic in admin.list_topics(timeout=PATIENCE).topics,
               "the granted topic is not listed")
    assert sql(f"SELECT kafka.revoke_acl('{bob.name}', 'describe', 'topic', '{topic}')") == [["1"]]
    eventually(lambda: topic not in admin.list_topics(timeout=PATIENCE).topics,
               "the revoked topic is still listed")


def test_metadata_names_a_denied_topic_with_topic_authorization_failed(roles, topic):
    bob = roles("bob", acls=False)
    admin = AdminClient(ck_sasl("SCRAM-SHA-256", bob))
    md = admin.list_topics(topic=topic, timeout=PATIENCE)
    assert md.topics[topic].error is not None
    assert md.topics[topic].error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED


def test_denied_topics_are_not_auto_created(bootstrap, roles):
    bob = roles("bob", acls=False)
    grant(bob.name, "WRITE", "TOPIC", "*")
    name = unique("py-acl-auto")
    conf = ck_sasl("SCRAM-SHA-256", bob)
    # WRITE without CREATE: the topic is not made.
    assert code(produce_error(conf, name)) in (KafkaError.UNKNOWN_TOPIC_OR_PART,
                                               KafkaError._MSG_TIMED_OUT)
    assert name not in AdminClient({"bootstrap.servers": bootstrap}).list_topics(
        timeout=PATIENCE).topics
    grant(bob.name, "CREATE", "CLUSTER")
    assert produce_error(ck_sasl("SCRAM-SHA-256", bob), name) is None


def test_authorized_operations_of_a_topic(roles, topic):
    bob = roles("bob", acls=False)
    grant(bob.name, "READ", "TOPIC", topic)
    admin = AdminClient(ck_sasl("SCRAM-SHA-256", bob))
    from confluent_kafka import TopicCollection
    fut = admin.describe_topics(TopicCollection([topic]), include_authorized_operations=True)
    desc = fut[topic].result(timeout=PATIENCE)
    assert set(desc.authorized_operations) == {AclOperation.READ, AclOperation.DESCRIBE}
    cluster = admin.describe_cluster(include_authorized_operations=True).result(timeout=PATIENCE)
    assert not cluster.authorized_operations


def test_transactional_id_needs_its_own_acl(roles, topic):
    bob = roles("bob", acls=False)
    grant(bob.name, "WRITE", "TOPIC", topic)
    conf = ck_sasl("SCRAM-SHA-256", bob)
    p = Producer({**conf, "transactional.id": unique("py-acl-txn")})
    with pytest.raises(KafkaException) as e:
        p.init_transactions(PATIENCE)
    assert e.value.args[0].code() == KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED


def test_acl_admin_apis_create_describe_delete(bootstrap, roles):
    bob = roles("bob", acls=False)
    name = unique("py-acl-api")
    admin = AdminClient({"bootstrap.servers": bootstrap})
    acl = AclBinding(ResourceType.TOPIC, name, ResourcePatternType.PREFIXED, f"User:{bob.name}",
                     "*", AclOperation.WRITE, AclPermissionType.ALLOW)
    admin.create_acls([acl], request_timeout=PATIENCE)[acl].result(timeout=PATIENCE)
    # MATCH: the bindings that apply to a topic under the prefix (this principal's only: other
    # tests leave wildcards).
    f = AclBindingFilter(ResourceType.TOPIC, name + "-x", ResourcePatternType.MATCH,
                         f"User:{bob.name}", None, AclOperation.ANY, AclPermissionType.ANY)
    assert admin.describe_acls(f, request_timeout=PATIENCE).result(timeout=PATIENCE) == [acl]
    rows = sql(f"SELECT principal, operation, pattern_type, created_by FROM kafka.acls "
               f"WHERE resource_name = '{name}'")
    assert rows == [[f"User:{bob.name}", "WRITE", "PREFIXED", "User:ANONYMOUS"]]
    # Applied at once: bob may write to a topic under the prefix.
    create_topic(bootstrap, name + "-x", 1)
    assert produce_error(ck_sasl("SCRAM-SHA-256", bob), name + "-x") is None
    deleted = admin.delete_acls([f], request_timeout=PATIENCE)[f].result(timeout=PATIENCE)
    assert deleted == [acl]
    assert sql(f"SELECT count(*) FROM kafka.acls WHERE resource_name = '{name}'") == [["0"]]


def test_acl_admin_apis_need_the_cluster(roles):
    bob = roles("bob", acls=False)
    admin = AdminClient(ck_sasl("SCRAM-SHA-256", bob))
    acl = AclBinding(ResourceType.TOPIC, "t", ResourcePatternType.LITERAL, f"User:{bob.name}",
                     "*", AclOperation.ALL, AclPermissionType.ALLOW)
    with pytest.raises(KafkaException) as e:
        admin.create_acls([acl], request_timeout=PATIENCE)[acl].result(timeout=PATIENCE)
    assert e.value.args[0].code() == KafkaError.CLUSTER_AUTHORIZATION_FAILED
    # DescribeAcls answers CLUSTER_AUTHORIZATION_FAILED at the top level, which librdkafka does
    # not pass on: what shows is that none of the stored bindings is disclosed.
    assert sql("SELECT count(*) > 0 FROM kafka.acls") == [["t"]]
    f = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None,
                         AclOperation.ANY, AclPermissionType.ANY)
    assert admin.describe_acls(f, request_timeout=PATIENCE).result(timeout=PATIENCE) == []


def test_an_invalid_binding_is_refused_and_the_others_stored(bootstrap):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    name = unique("py-acl-bad")
    good = AclBinding(ResourceType.TOPIC, name, ResourcePatternType.LITERAL, "User:someone", "*",
                      AclOperation.READ, AclPermissionType.ALLOW)
    bad = AclBinding(ResourceType.GROUP, name, ResourcePatternType.LITERAL, "User:someone", "*",
                     AclOperation.WRITE, AclPermissionType.ALLOW)
    results = admin.create_acls([good, bad], request_timeout=PATIENCE)
    results[good].result(timeout=PATIENCE)
    with pytest.raises(KafkaException) as e:
        results[bad].result(timeout=PATIENCE)
    assert e.value.args[0].code() == KafkaError.INVALID_REQUEST
    assert sql(f"SELECT resource_type FROM kafka.acls WHERE resource_name = '{name}'") == [["TOPIC"]]
    sql(f"DELETE FROM kafka.acl_bindings WHERE resource_name = '{name}'")


def test_sql_checks_bindings():
    for args in ["'bob', 'WRITE', 'GROUP', 'g'",          # not an operation on groups
                 "'bob', 'READ', 'TOPIC', '*', 'PREFIXED'",  # prefixed wildcard
                 "'bob', 'READ', 'CLUSTER', 'other'",      # the cluster has one name
                 "'bob', 'READ', 'TOPIC', ''"]:
        with pytest.raises(Exception):
            sql(f"SELECT kafka.grant_acl({args})")


def test_sql_reads_only_the_records_a_role_may_read(bootstrap, roles):
    carol = roles("carol", acls=False)
    readable, hidden = unique("py-acl-sql-ok"), unique("py-acl-sql-no")
    for t in (readable, hidden):
        create_topic(bootstrap, t, 1)
        produce(bootstrap, t, [(0, b"r1"), (0, b"r2")])
    sql(f"GRANT kafka_reader TO {carol.name}")
    grant(carol.name, "READ", "TOPIC", readable)
    as_carol = f"SET ROLE {carol.name}; "
    rows = sql(as_carol + f"SELECT topic, count(*) FROM kafka.records "
               f"WHERE topic IN ('{readable}', '{hidden}') GROUP BY topic")
    assert rows == [[readable, "2"]]
    assert sql(as_carol + f"SELECT count(*) FROM kafka.read_records('{hidden}')") == [["0"]]
    assert sql(as_carol + f"SELECT value FROM kafka.read_records('{readable}', 0, 1, 1)") == [["\\x7232"]]
    # Without kafka_reader nothing is readable at all.
    sql(f"REVOKE kafka_reader FROM {carol.name}")
    with pytest.raises(Exception):
        sql(as_carol + "SELECT count(*) FROM kafka.records")
    # A superuser reads everything.
    assert sql(f"SELECT count(*) FROM kafka.read_records('{hidden}')") == [["2"]]


def test_sql_acl_allows_matches_the_broker_rules(roles):
    bob = roles("bob", acls=False)
    name = unique("py-acl-fn")
    grant(bob.name, "WRITE", "TOPIC", name)
    grant(bob.name, "READ", "TOPIC", name, permission="DENY")
    q = "SELECT kafka.acl_allows('{}', '{}', 'TOPIC', '{}')"
    assert sql(q.format(bob.name, "WRITE", name)) == [["t"]]
    assert sql(q.format(bob.name, "DESCRIBE", name)) == [["t"]]
    assert sql(q.format(bob.name, "READ", name)) == [["f"]]
    assert sql(q.format(bob.name, "WRITE", name + "x")) == [["f"]]
    assert sql(q.format("postgres", "READ", name)) == [["t"]]


def test_nothing_of_the_acls_is_granted_to_public():
    rows = sql("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
               "WHERE n.nspname = 'kafka' AND has_table_privilege('public', c.oid, 'SELECT')")
    assert rows == []
    rows = sql("SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
               "WHERE n.nspname = 'kafka' AND has_function_privilege('public', p.oid, 'EXECUTE')")
    assert rows == []


def test_every_sql_function_pins_its_search_path():
    rows = sql("SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
               "WHERE n.nspname = 'kafka' AND p.prolang IN (SELECT oid FROM pg_language "
               "WHERE lanname IN ('sql', 'plpgsql')) AND NOT EXISTS (SELECT FROM "
               "unnest(p.proconfig) AS c WHERE c LIKE 'search_path=%')")
    assert rows == []


def test_describe_without_read_lists_offsets_but_fetch_is_refused(bootstrap, roles, topic):
    bob = roles("bob", acls=False)
    produce(bootstrap, topic, [(0, b"a")])
    grant(bob.name, "DESCRIBE", "TOPIC", topic)
    group = unique("py-acl-g")
    grant(bob.name, "READ", "GROUP", group)
    conf = ck_sasl("SCRAM-SHA-256", bob)
    c = group_consumer(conf["bootstrap.servers"], group,
                       **{k: v for k, v in conf.items() if k != "bootstrap.servers"})
    try:
        # ListOffsets needs DESCRIBE only.
        assert c.get_watermark_offsets(TopicPartition(topic, 0), timeout=PATIENCE) == (0, 1)
        c.assign([TopicPartition(topic, 0, 0)])
        deadline, err = time.time() + PATIENCE, None
        while err is None and time.time() < deadline:
            m = c.poll(0.5)
            if m is not None:
                assert m.error() is not None, "a record was fetched without READ"
                err = m.error()
        assert err is not None and err.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, err
    finally:
        c.close()


def test_admin_requests_and_their_refusals_are_in_the_audit_log(bootstrap, roles):
    bob = roles("bob", acls=False)
    name = unique("py-audit")
    admin = AdminClient({"bootstrap.servers": bootstrap, "client.id": "audit-admin"})
    admin.create_topics([NewTopic(name, 2, 1)])[name].result(timeout=PATIENCE)
    bob_admin = AdminClient(ck_sasl("SCRAM-SHA-256", bob, **{"client.id": "audit-bob"}))
    with pytest.raises(KafkaException):
        bob_admin.delete_topics([name])[name].result(timeout=PATIENCE)
    query = ("SELECT principal, client_id, action, outcome, coalesce(detail->>'partitions', '-') "
             f"FROM kafka.audit_log WHERE resource_name = '{name}' ORDER BY audit_id")
    eventually(lambda: len(sql(query)) == 2, "the audit rows were not written")
    assert sql(query) == [
        ["User:ANONYMOUS", "audit-admin", "CreateTopics", "OK", "2"],
        [f"User:{bob.name}", "audit-bob", "DeleteTopics", "TOPIC_AUTHORIZATION_FAILED", "-"],
    ]
    # kafka_admin may read it; nobody else.
    assert sql("SELECT has_table_privilege('kafka_admin', 'kafka.audit_log', 'SELECT'), "
               "has_table_privilege('public', 'kafka.audit_log', 'SELECT')") == [["t", "f"]]
