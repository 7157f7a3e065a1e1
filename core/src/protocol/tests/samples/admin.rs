//! Test-only sample requests of the config and cluster admin APIs, one per version, with every
//! array that version has non-empty and every optional field it has set. Part of `samples`
//! (external crates only, as the fuzz test includes it by path).

use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;

fn s(v: &'static str) -> StrBytes {
    StrBytes::from_static_str(v)
}

fn topic(v: &'static str) -> TopicName {
    TopicName(s(v))
}

pub fn describe_configs(v: i16) -> DescribeConfigsRequest {
    use describe_configs_request::DescribeConfigsResource;
    let mut res = DescribeConfigsResource::default();
    res.resource_type = 2;
    res.resource_name = s("t1");
    res.configuration_keys = Some(vec![s("retention.ms"), s("cleanup.policy")]);
    let mut r = DescribeConfigsRequest::default();
    r.resources = vec![res];
    r.include_synonyms = true;
    if v >= 3 {
        r.include_documentation = true;
    }
    r
}

pub fn alter_configs(_v: i16) -> AlterConfigsRequest {
    use alter_configs_request::{AlterConfigsResource, AlterableConfig};
    let mut c = AlterableConfig::default();
    c.name = s("retention.ms");
    c.value = Some(s("1000"));
    let mut res = AlterConfigsResource::default();
    res.resource_type = 2;
    res.resource_name = s("t1");
    res.configs = vec![c];
    let mut r = AlterConfigsRequest::default();
    r.resources = vec![res];
    r.validate_only = true;
    r
}

pub fn incremental_alter_configs(_v: i16) -> IncrementalAlterConfigsRequest {
    use incremental_alter_configs_request::{AlterConfigsResource, AlterableConfig};
    let mut c = AlterableConfig::default();
    c.name = s("cleanup.policy");
    c.config_operation = 2;
    c.value = Some(s("compact"));
    let mut res = AlterConfigsResource::default();
    res.resource_type = 2;
    res.resource_name = s("t1");
    res.configs = vec![c];
    let mut r = IncrementalAlterConfigsRequest::default();
    r.resources = vec![res];
    r.validate_only = true;
    r
}

pub fn describe_cluster(v: i16) -> DescribeClusterRequest {
    let mut r = DescribeClusterRequest::default();
    r.include_cluster_authorized_operations = true;
    if v >= 1 {
        r.endpoint_type = 1;
    }
    if v >= 2 {
        r.include_fenced_brokers = true;
    }
    r
}

pub fn describe_log_dirs(_v: i16) -> DescribeLogDirsRequest {
    use describe_log_dirs_request::DescribableLogDirTopic;
    let mut t = DescribableLogDirTopic::default();
    t.topic = topic("t1");
    t.partitions = vec![0, 1];
    let mut r = DescribeLogDirsRequest::default();
    r.topics = Some(vec![t]);
    r
}

pub fn describe_topic_partitions(_v: i16) -> DescribeTopicPartitionsRequest {
    use describe_topic_partitions_request::{Cursor, TopicRequest};
    let mut t = TopicRequest::default();
    t.name = topic("t1");
    let mut c = Cursor::default();
    c.topic_name = topic("t1");
    c.partition_index = 1;
    let mut r = DescribeTopicPartitionsRequest::default();
    r.topics = vec![t];
    r.response_partition_limit = 100;
    r.cursor = Some(c);
    r
}

pub fn delete_records(_v: i16) -> DeleteRecordsRequest {
    use delete_records_request::{DeleteRecordsPartition, DeleteRecordsTopic};
    let mut p = DeleteRecordsPartition::default();
    p.partition_index = 0;
    p.offset = 5;
    let mut t = DeleteRecordsTopic::default();
    t.name = topic("t1");
    t.partitions = vec![p];
    let mut r = DeleteRecordsRequest::default();
    r.topics = vec![t];
    r.timeout_ms = 1000;
    r
}

pub fn elect_leaders(v: i16) -> ElectLeadersRequest {
    use elect_leaders_request::TopicPartitions;
    let mut t = TopicPartitions::default();
    t.topic = topic("t1");
    t.partitions = vec![0, 1];
    let mut r = ElectLeadersRequest::default();
    if v >= 1 {
        r.election_type = 0;
    }
    r.topic_partitions = Some(vec![t]);
    r.timeout_ms = 1000;
    r
}

pub fn list_partition_reassignments(_v: i16) -> ListPartitionReassignmentsRequest {
    use list_partition_reassignments_request::ListPartitionReassignmentsTopics;
    let mut t = ListPartitionReassignmentsTopics::default();
    t.name = topic("t1");
    t.partition_indexes = vec![0];
    let mut r = ListPartitionReassignmentsRequest::default();
    r.timeout_ms = 1000;
    r.topics = Some(vec![t]);
    r
}
