"""kafka-python's KafkaAdminClient on the admin APIs the other suites do not reach: AlterConfigs
(the non-incremental one), ElectLeaders, ListPartitionReassignments, DescribeTopicPartitions,
DescribeProducers, ListTransactions, DescribeTransactions and OffsetDelete. `make corpus` also
captures these requests as fuzz seeds."""

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.structs import OffsetAndMetadata

from conftest import PATIENCE, unique

ELECTION_NOT_NEEDED = 84


def admin(bootstrap):
    return KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000)


def topic_config(a, topic, name):
    res = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)], config_filter="all")
    entry = res["topic"][topic][name]
    return entry["value"], entry["config_source"]


def test_alter_configs_replaces_the_topic_configs(bootstrap):
    a = admin(bootstrap)
    topic = unique("py-kp-alter")
    a.create_topics([NewTopic(topic, 1, 1, topic_configs={"retention.bytes": "5000"})])
    # AlterConfigs replaces the whole dynamic config; kafka-python first adds the keys already
    # set (read with DescribeConfigs) so that only the named one changes.
    result = a.alter_configs(
        [ConfigResource(ConfigResourceType.TOPIC, topic, configs={"retention.ms": "1234"})],
        incremental=False,
    )
    assert result["topic"][topic] == "OK"
    assert topic_config(a, topic, "retention.ms") == ("1234", "DYNAMIC_TOPIC_CONFIG")
    assert topic_config(a, topic, "retention.bytes") == ("5000", "DYNAMIC_TOPIC_CONFIG")
    # Resetting one key sends AlterConfigs without it: the broker returns it to its default.
    result = a.reset_configs(
        [ConfigResource(ConfigResourceType.TOPIC, topic, configs={"retention.ms": None})],
        incremental=False,
    )
    assert result["topic"][topic] == "OK"
    assert topic_config(a, topic, "retention.ms") == ("604800000", "DEFAULT_CONFIG")
    assert topic_config(a, topic, "retention.bytes") == ("5000", "DYNAMIC_TOPIC_CONFIG")
    a.close()


def test_elect_leaders_reports_nothing_to_elect_and_no_reassignments(bootstrap):
    a = admin(bootstrap)
    topic = unique("py-kp-elect")
    a.create_topics([NewTopic(topic, 2, 1)])
    resp = a.elect_leaders(0, {topic: [0, 1]}, raise_errors=False)
    codes = {
        (r.topic, p.partition_id): p.error_code
        for r in resp.replica_election_results
        for p in r.partition_result
    }
    assert codes == {(topic, 0): ELECTION_NOT_NEEDED, (topic, 1): ELECTION_NOT_NEEDED}
    assert a.list_partition_reassignments() == {}
    a.close()


def test_describe_topic_partitions_lists_every_partition(bootstrap):
    a = admin(bootstrap)
    topic = unique("py-kp-dtp")
    a.create_topics([NewTopic(topic, 3, 1)])
    resp = a.describe_topic_partitions([topic])
    [t] = resp["topics"]
    assert t["name"] == topic and t["error_code"] == 0
    assert [p["partition_index"] for p in t["partitions"]] == [0, 1, 2]
    assert all(p["leader_id"] == 0 and p["replica_nodes"] == [0] for p in t["partitions"])
    a.close()


def test_producers_and_transactions_are_described(bootstrap):
    a = admin(bootstrap)
    topic = unique("py-kp-producers")
    a.create_topics([NewTopic(topic, 2, 1)])
    idem = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    for _ in range(3):
        idem.send(topic, b"v", partition=0).get(timeout=PATIENCE)
    idem.close()
    [state] = a.describe_producers([TopicPartition(topic, 0)]).values()
    [producer] = state.active_producers
    assert producer.last_sequence == 2

    txn_id = unique("py-kp-txn")
    txn = KafkaProducer(bootstrap_servers=bootstrap, acks="all", transactional_id=txn_id)
    txn.init_transactions()
    txn.begin_transaction()
    txn.send(topic, b"t", partition=1).get(timeout=PATIENCE)
    listed = [t for ts in a.list_transactions().values() for t in ts if t.transactional_id == txn_id]
    assert [t.state.value for t in listed] == ["Ongoing"]
    desc = a.describe_transactions([txn_id])[txn_id]
    assert desc.state.value == "Ongoing"
    assert desc.topic_partitions == {TopicPartition(topic, 1)}
    txn.commit_transaction()
    txn.close()
    assert a.describe_transactions([txn_id])[txn_id].state.value == "CompleteCommit"
    a.close()


def test_offset_delete_removes_one_partition_of_an_empty_group(bootstrap):
    a = admin(bootstrap)
    topic = unique("py-kp-offdel")
    group = unique("py-kp-offdel-group")
    a.create_topics([NewTopic(topic, 2, 1)])
    c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    c.commit(
        {
            TopicPartition(topic, 0): OffsetAndMetadata(5, "", -1),
            TopicPartition(topic, 1): OffsetAndMetadata(7, "", -1),
        }
    )
    c.close()
    result = a.delete_group_offsets(group, [TopicPartition(topic, 0)])
    assert list(result) == [TopicPartition(topic, 0)]
    left = a.list_group_offsets(group)[group]
    assert {tp: o.offset for tp, o in left.items()} == {TopicPartition(topic, 1): 7}
    a.close()
