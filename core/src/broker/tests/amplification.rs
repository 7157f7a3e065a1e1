//! Requests cost what they name: a name repeated costs what naming it once costs, and what a
//! broker may hold is capped in topics and partitions with Kafka-shaped errors.

use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::*;
use kafka_protocol::ResponseError;

use super::testkit::{harness, harness_with};
use crate::broker::{str_bytes, topic_name};
use crate::config::BrokerConfig;

fn create(name: &str, partitions: i32) -> CreateTopicsRequest {
    let mut t = CreatableTopic::default();
    t.name = topic_name(name);
    t.num_partitions = partitions;
    t.replication_factor = -1;
    let mut r = CreateTopicsRequest::default();
    r.topics = vec![t];
    r
}

async fn create_code(h: &super::testkit::Harness, name: &str, partitions: i32) -> i16 {
    match h.call(7, create(name, partitions)).await {
        Some(ResponseKind::CreateTopics(r)) => r.topics[0].error_code,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn metadata_answers_a_topic_named_many_times_once() {
    let h = harness();
    assert_eq!(create_code(&h, "wide", 50).await, 0);
    let mut r = MetadataRequest::default();
    r.topics = Some(
        (0..5_000)
            .map(|_| {
                let mut t = MetadataRequestTopic::default();
                t.name = Some(topic_name("wide"));
                t
            })
            .collect(),
    );
    r.allow_auto_topic_creation = false;
    match h.call(12, r).await {
        Some(ResponseKind::Metadata(m)) => {
            assert_eq!(m.topics.len(), 1);
            assert_eq!(m.topics[0].partitions.len(), 50);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn describe_configs_and_describe_groups_answer_repeats_once() {
    let h = harness();
    assert_eq!(create_code(&h, "c", 1).await, 0);
    let mut r = DescribeConfigsRequest::default();
    r.resources = (0..100)
        .map(|_| {
            let mut x = DescribeConfigsResource::default();
            x.resource_type = 2;
            x.resource_name = str_bytes("c");
            x
        })
        .collect();
    match h.call(4, r).await {
        Some(ResponseKind::DescribeConfigs(r)) => assert_eq!(r.results.len(), 1),
        other => panic!("{other:?}"),
    }
    let mut r = DescribeGroupsRequest::default();
    r.groups = (0..100).map(|_| GroupId(str_bytes("g"))).collect();
    match h.call(5, r).await {
        Some(ResponseKind::DescribeGroups(r)) => assert_eq!(r.groups.len(), 1),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn topics_and_partitions_past_the_caps_are_a_policy_violation() {
    let config = BrokerConfig {
        max_topics: 3,
        max_partitions: 10,
        ..BrokerConfig::default()
    };
    let h = harness_with(config, 1 << 20);
    let policy = ResponseError::PolicyViolation.code();
    assert_eq!(create_code(&h, "a", 4).await, 0);
    assert_eq!(create_code(&h, "b", 7).await, policy, "11 partitions > 10");
    assert_eq!(create_code(&h, "b", 6).await, 0);
    assert_eq!(create_code(&h, "c", 1).await, policy, "11 partitions again");
    // Auto-creation meets the same caps.
    let mut r = MetadataRequest::default();
    let mut t = MetadataRequestTopic::default();
    t.name = Some(topic_name("auto"));
    r.topics = Some(vec![t]);
    r.allow_auto_topic_creation = true;
    match h.call(12, r).await {
        Some(ResponseKind::Metadata(m)) => assert_eq!(m.topics[0].error_code, policy),
        other => panic!("{other:?}"),
    }
    let mut p =
        kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic::default();
    p.name = topic_name("a");
    p.count = 5;
    let mut r = CreatePartitionsRequest::default();
    r.topics = vec![p];
    match h.call(3, r).await {
        Some(ResponseKind::CreatePartitions(r)) => assert_eq!(r.results[0].error_code, policy),
        other => panic!("{other:?}"),
    }
    // Deleting frees room.
    let mut d = DeleteTopicsRequest::default();
    d.topic_names = vec![topic_name("b")];
    match h.call(4, d).await {
        Some(ResponseKind::DeleteTopics(r)) => assert_eq!(r.responses[0].error_code, 0),
        other => panic!("{other:?}"),
    }
    assert_eq!(h.ctx.registry.partition_count(), 4);
    assert_eq!(create_code(&h, "c", 1).await, 0);
    assert_eq!(create_code(&h, "d", 1).await, 0);
    assert_eq!(create_code(&h, "e", 1).await, policy, "4 topics > 3");
}
