"""Admin calls that tools (Kafka UI, AKHQ, Connect) make first, from confluent-kafka and
kafka-python: describe and alter topic configs, describe the cluster and log dirs, and delete
records (which moves the log start)."""

from confluent_kafka import Consumer, TopicPartition as CkTopicPartition
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource
from kafka import KafkaAdminClient, TopicPartition

from conftest import PATIENCE, unique
from test_confluent_kafka import create_topic, produce


def describe(admin, topic):
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    return admin.describe_configs([resource])[resource].result(timeout=PATIENCE)


def test_topic_configs_report_defaults_and_what_is_set(bootstrap):
    topic = unique("py-admin-configs")
    create_topic(bootstrap, topic, 1)
    admin = AdminClient({"bootstrap.servers": bootstrap})

    before = describe(admin, topic)
    assert before["retention.ms"].value == "604800000"
    assert before["retention.ms"].is_default
    assert before["cleanup.policy"].value == "delete"

    # Kafka Connect checks that its internal topics report cleanup.policy=compact.
    resource = ConfigResource(
        ConfigResource.Type.TOPIC,
        topic,
        incremental_configs=[
            ConfigEntry("cleanup.policy", "compact", incremental_operation=AlterConfigOpType.SET),
            ConfigEntry("retention.ms", "3600000", incremental_operation=AlterConfigOpType.SET),
        ],
    )
    admin.incremental_alter_configs([resource])[resource].result(timeout=PATIENCE)
    after = describe(admin, topic)
    assert after["cleanup.policy"].value == "compact"
    assert not after["cleanup.policy"].is_default
    assert after["retention.ms"].value == "3600000"

    bad = ConfigResource(
        ConfigResource.Type.TOPIC,
        topic,
        incremental_configs=[
            ConfigEntry("retention.ms", "soon", incremental_operation=AlterConfigOpType.SET)
        ],
    )
    try:
        admin.incremental_alter_configs([bad])[bad].result(timeout=PATIENCE)
        raise AssertionError("an invalid retention.ms was accepted")
    except Exception as e:  # KafkaException carrying INVALID_CONFIG
        assert "INVALID_CONFIG" in str(e) or "nvalid" in str(e), e
    assert describe(admin, topic)["retention.ms"].value == "3600000"


def test_cluster_and_log_dirs_describe_one_broker(bootstrap):
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000)
    cluster = admin.describe_cluster()
    assert len(cluster["brokers"]) == 1
    assert cluster["controller_id"] == cluster["brokers"][0]["broker_id"]
    dirs = admin.describe_log_dirs()
    assert dirs and dirs[0]["log_dirs"][0]["error_code"] == 0
    admin.close()


def test_delete_records_moves_the_log_start(bootstrap):
    topic = unique("py-admin-delete-records")
    create_topic(bootstrap, topic, 1)
    produce(bootstrap, topic, [(0, f"v{i}".encode()) for i in range(10)])

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000)
    result = admin.delete_records({TopicPartition(topic, 0): 4})
    assert result[TopicPartition(topic, 0)]["low_watermark"] == 4
    admin.close()

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("py-admin-wm")})
    low, high = c.get_watermark_offsets(CkTopicPartition(topic, 0), timeout=PATIENCE)
    c.close()
    assert (low, high) == (4, 10)
