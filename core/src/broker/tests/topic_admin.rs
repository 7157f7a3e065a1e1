//! Behaviour of CreateTopics, DeleteTopics and CreatePartitions.

use kafka_protocol::messages::create_partitions_request::{
    CreatePartitionsAssignment, CreatePartitionsTopic,
};
use kafka_protocol::messages::create_topics_request::{
    CreatableReplicaAssignment, CreatableTopic, CreatableTopicConfig,
};
use kafka_protocol::messages::delete_topics_request::DeleteTopicState;
use kafka_protocol::messages::*;
use kafka_protocol::ResponseError;
use uuid::Uuid;

use super::testkit::{harness, Harness};
use crate::broker::{str_bytes, topic_name};

fn creatable(name: &str, partitions: i32, rf: i16) -> CreatableTopic {
    let mut t = CreatableTopic::default();
    t.name = topic_name(name);
    t.num_partitions = partitions;
    t.replication_factor = rf;
    t
}

async fn create(
    h: &Harness,
    version: i16,
    topics: Vec<CreatableTopic>,
    validate_only: bool,
) -> Vec<(i16, i32, Uuid)> {
    let mut r = CreateTopicsRequest::default();
    r.topics = topics;
    r.validate_only = validate_only;
    match h.call(version, r).await {
        Some(ResponseKind::CreateTopics(r)) => r
            .topics
            .iter()
            .map(|t| (t.error_code, t.num_partitions, t.topic_id))
            .collect(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn create_topics_checks_replication_assignments_and_duplicates() {
    let h = harness();
    let mut with_config = creatable("cfg", -1, -1);
    let mut c = CreatableTopicConfig::default();
    c.name = str_bytes("retention.ms");
    c.value = Some(str_bytes("1000"));
    let mut null = CreatableTopicConfig::default();
    null.name = str_bytes("cleanup.policy");
    null.value = None;
    with_config.configs = vec![c, null];
    let mut assigned = creatable("assigned", -1, -1);
    assigned.assignments = (0..2)
        .map(|i| {
            let mut a = CreatableReplicaAssignment::default();
            a.partition_index = i;
            a.broker_ids = vec![BrokerId(0)];
            a
        })
        .collect();
    let mut elsewhere = creatable("elsewhere", -1, -1);
    let mut a = CreatableReplicaAssignment::default();
    a.broker_ids = vec![BrokerId(0), BrokerId(1)];
    elsewhere.assignments = vec![a];
    let got = create(
        &h,
        7,
        vec![
            creatable("four", 4, 1),
            with_config,
            assigned,
            elsewhere,
            creatable("rf0", 1, 0),
            creatable("dup", 1, 1),
            creatable("dup", 1, 1),
            creatable("bad/name", 1, 1),
        ],
        false,
    )
    .await;
    assert_eq!((got[0].0, got[0].1), (0, 4));
    assert!(!got[0].2.is_nil());
    assert_eq!((got[1].0, got[1].1), (0, 1));
    assert_eq!((got[2].0, got[2].1), (0, 2));
    assert_eq!(got[3].0, ResponseError::InvalidReplicaAssignment.code());
    assert_eq!(got[4].0, ResponseError::InvalidReplicationFactor.code());
    assert_eq!(got[5].0, ResponseError::InvalidRequest.code());
    assert_eq!(got[6].0, ResponseError::InvalidRequest.code());
    assert_eq!(got[7].0, ResponseError::InvalidTopicException.code());
    let cfg = h.ctx.registry.get("cfg").unwrap();
    assert_eq!(
        cfg.configs.get("retention.ms").map(String::as_str),
        Some("1000")
    );
    assert!(!cfg.configs.contains_key("cleanup.policy"));
    assert!(h.ctx.registry.get("dup").is_none());
    // A replication factor above 1 (Connect asks for 3) is taken: the topic is as durable as its
    // Postgres, and is reported as what it is, one replica.
    let got = create(
        &h,
        7,
        vec![creatable("rf3", 2, 3), creatable("rfm2", 1, -2)],
        false,
    )
    .await;
    assert_eq!((got[0].0, got[0].1), (0, 2));
    assert_eq!(got[1].0, ResponseError::InvalidReplicationFactor.code());

    let got = create(
        &h,
        7,
        vec![creatable("four", 1, 1), creatable("dry", 2, -1)],
        true,
    )
    .await;
    assert_eq!(got[0].0, ResponseError::TopicAlreadyExists.code());
    assert_eq!(got[1].0, 0);
    assert!(
        h.ctx.registry.get("dry").is_none(),
        "validate_only creates nothing"
    );
    for v in 2..=7 {
        let got = create(&h, v, vec![creatable(&format!("v{v}"), 1, 1)], false).await;
        assert_eq!(got[0].0, 0, "create v{v}");
    }
}

#[tokio::test]
async fn delete_topics_by_name_and_by_id() {
    let h = harness();
    create(
        &h,
        7,
        vec![creatable("a", 1, 1), creatable("b", 1, 1)],
        false,
    )
    .await;
    let id = h.ctx.registry.get("b").unwrap().id;
    let mut r = DeleteTopicsRequest::default();
    r.topic_names = vec![topic_name("a"), topic_name("zz")];
    match h.call(1, r).await {
        Some(ResponseKind::DeleteTopics(r)) => {
            assert_eq!(r.responses[0].error_code, 0);
            assert_eq!(
                r.responses[1].error_code,
                ResponseError::UnknownTopicOrPartition.code()
            );
        }
        other => panic!("{other:?}"),
    }
    let mut by_id = DeleteTopicState::default();
    by_id.name = None;
    by_id.topic_id = id;
    let mut unknown = DeleteTopicState::default();
    unknown.name = None;
    unknown.topic_id = Uuid::new_v4();
    let mut r = DeleteTopicsRequest::default();
    r.topics = vec![by_id, unknown];
    match h.call(6, r).await {
        Some(ResponseKind::DeleteTopics(r)) => {
            assert_eq!(r.responses[0].error_code, 0);
            assert_eq!(
                r.responses[0].name.as_ref().map(|n| n.0.to_string()),
                Some("b".into())
            );
            assert_eq!(
                r.responses[1].error_code,
                ResponseError::UnknownTopicId.code()
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(h.ctx.registry.all().is_empty());
    for v in 1..=6 {
        let mut r = DeleteTopicsRequest::default();
        if v >= 6 {
            let mut t = DeleteTopicState::default();
            t.name = Some(topic_name("gone"));
            r.topics = vec![t];
        } else {
            r.topic_names = vec![topic_name("gone")];
        }
        assert!(h.call(v, r).await.is_some());
    }
}

fn partitions_topic(name: &str, count: i32, nodes: Option<Vec<i32>>) -> CreatePartitionsTopic {
    let mut t = CreatePartitionsTopic::default();
    t.name = topic_name(name);
    t.count = count;
    t.assignments = nodes.map(|n| {
        let mut a = CreatePartitionsAssignment::default();
        a.broker_ids = n.into_iter().map(BrokerId).collect();
        vec![a]
    });
    t
}

#[tokio::test]
async fn create_partitions_grows_topics_and_reports_errors() {
    let h = harness();
    create(
        &h,
        7,
        vec![creatable("g", 1, 1), creatable("h", 1, 1)],
        false,
    )
    .await;
    let mut r = CreatePartitionsRequest::default();
    r.topics = vec![
        partitions_topic("g", 3, Some(vec![0])),
        partitions_topic("h", 2, Some(vec![5])),
        partitions_topic("x", 2, None),
        partitions_topic("d", 2, None),
        partitions_topic("d", 2, None),
    ];
    match h.call(3, r).await {
        Some(ResponseKind::CreatePartitions(r)) => {
            let codes: Vec<i16> = r.results.iter().map(|t| t.error_code).collect();
            assert_eq!(
                codes,
                vec![
                    0,
                    ResponseError::InvalidReplicaAssignment.code(),
                    ResponseError::UnknownTopicOrPartition.code(),
                    ResponseError::InvalidRequest.code(),
                    ResponseError::InvalidRequest.code(),
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(h.ctx.registry.get("g").unwrap().partitions.len(), 3);
    for v in 0..=3 {
        let mut r = CreatePartitionsRequest::default();
        r.topics = vec![partitions_topic("g", 2, None)];
        r.validate_only = true;
        match h.call(v, r).await {
            Some(ResponseKind::CreatePartitions(r)) => {
                assert_eq!(
                    r.results[0].error_code,
                    ResponseError::InvalidPartitions.code()
                )
            }
            other => panic!("{other:?}"),
        }
    }
}
