//! Behaviour of DeleteRecords, DescribeCluster, DescribeLogDirs, DescribeTopicPartitions,
//! ElectLeaders and ListPartitionReassignments, each at every version it advertises.

use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::*;
use kafka_protocol::ResponseError;

use super::produce_fetch::produce;
use super::testkit::{batch, harness, Harness};
use super::topic_configs::create;
use crate::broker::topic_name;

/// (error_code, low_watermark) per (partition, offset).
async fn delete_records(
    h: &Harness,
    version: i16,
    topic: &str,
    offsets: &[(i32, i64)],
) -> Vec<(i16, i64)> {
    use delete_records_request::{DeleteRecordsPartition, DeleteRecordsTopic};
    let mut t = DeleteRecordsTopic::default();
    t.name = topic_name(topic);
    t.partitions = offsets
        .iter()
        .map(|(p, o)| {
            let mut x = DeleteRecordsPartition::default();
            x.partition_index = *p;
            x.offset = *o;
            x
        })
        .collect();
    let mut r = DeleteRecordsRequest::default();
    r.topics = vec![t];
    match h.call(version, r).await {
        Some(ResponseKind::DeleteRecords(r)) => r.topics[0]
            .partitions
            .iter()
            .map(|p| (p.error_code, p.low_watermark))
            .collect(),
        other => panic!("{other:?}"),
    }
}

async fn fetch_error(h: &Harness, topic: &str, offset: i64) -> i16 {
    let mut p = FetchPartition::default();
    p.fetch_offset = offset;
    p.partition_max_bytes = 1 << 20;
    let mut t = FetchTopic::default();
    t.topic = topic_name(topic);
    t.partitions = vec![p];
    let mut r = FetchRequest::default();
    r.max_bytes = 1 << 20;
    r.topics = vec![t];
    match h.call(11, r).await {
        Some(ResponseKind::Fetch(r)) => r.responses[0].partitions[0].error_code,
        other => panic!("{other:?}"),
    }
}

async fn earliest(h: &Harness, topic: &str) -> i64 {
    by_timestamp(h, topic, -2).await
}

async fn by_timestamp(h: &Harness, topic: &str, timestamp: i64) -> i64 {
    let mut p = ListOffsetsPartition::default();
    p.timestamp = timestamp;
    let mut t = ListOffsetsTopic::default();
    t.name = topic_name(topic);
    t.partitions = vec![p];
    let mut r = ListOffsetsRequest::default();
    r.topics = vec![t];
    match h.call(7, r).await {
        Some(ResponseKind::ListOffsets(r)) => r.topics[0].partitions[0].offset,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn delete_records_moves_the_log_start_durably_at_every_version() {
    let h = harness();
    for v in 0..=2 {
        let name = format!("dr{v}");
        for _ in 0..3 {
            produce(&h, &name, 0, batch(&[(1, b"a"), (2, b"b")])).await;
        }
        // Offsets 0..6 in batches of two. Inside a batch: a timestamp lookup starts at the new
        // log start, not at the batch's first record.
        assert_eq!(delete_records(&h, v, &name, &[(0, 1)]).await, vec![(0, 1)]);
        assert_eq!(by_timestamp(&h, &name, 0).await, 1);
        // Move to 3, then a lower offset leaves it there.
        assert_eq!(delete_records(&h, v, &name, &[(0, 3)]).await, vec![(0, 3)]);
        assert_eq!(delete_records(&h, v, &name, &[(0, 1)]).await, vec![(0, 3)]);
        assert_eq!(
            fetch_error(&h, &name, 2).await,
            ResponseError::OffsetOutOfRange.code()
        );
        assert_eq!(fetch_error(&h, &name, 3).await, 0);
        assert_eq!(earliest(&h, &name).await, 3);
        let id = h.ctx.registry.get(&name).unwrap().id;
        let head = h
            .committed()
            .partitions
            .into_iter()
            .find(|p| p.topic_id == id && p.partition == 0)
            .unwrap();
        assert_eq!((head.log_start_offset, head.next_offset), (3, 6));
        let out_of_range = ResponseError::OffsetOutOfRange.code();
        let unknown = ResponseError::UnknownTopicOrPartition.code();
        assert_eq!(
            delete_records(&h, v, &name, &[(0, 7), (0, -5), (1, 0), (0, -1)]).await,
            vec![
                (out_of_range, -1),
                (out_of_range, -1),
                (unknown, -1),
                (0, 6)
            ]
        );
        assert_eq!(earliest(&h, &name).await, 6);
        // Producing continues after the deleted prefix.
        assert_eq!(produce(&h, &name, 0, batch(&[(3, b"c")])).await, (0, 6));
    }
}

#[tokio::test]
async fn describe_cluster_names_this_node_as_the_cluster_and_controller() {
    let h = harness();
    for v in 0..=2 {
        for ops in [false, true] {
            let mut r = DescribeClusterRequest::default();
            r.include_cluster_authorized_operations = ops;
            if v >= 1 {
                r.endpoint_type = 1;
            }
            match h.call(v, r).await {
                Some(ResponseKind::DescribeCluster(r)) => {
                    assert_eq!(r.error_code, 0);
                    assert_eq!(r.cluster_id.as_str(), "pg_kafka");
                    assert_eq!(r.controller_id, BrokerId(0));
                    assert_eq!(r.brokers.len(), 1);
                    assert_eq!(
                        (r.brokers[0].host.as_str(), r.brokers[0].port),
                        ("127.0.0.1", 9092)
                    );
                    assert_eq!(r.cluster_authorized_operations == i32::MIN, !ops);
                }
                other => panic!("{other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn describe_log_dirs_reports_one_dir_with_every_partition() {
    let h = harness();
    create(&h, "ld", 2, &[]).await;
    produce(&h, "ld", 1, batch(&[(1, b"abc")])).await;
    for v in 1..=4 {
        for wanted in [None, Some(vec![1])] {
            let mut r = DescribeLogDirsRequest::default();
            r.topics = wanted.clone().map(|p| {
                let mut t = describe_log_dirs_request::DescribableLogDirTopic::default();
                t.topic = topic_name("ld");
                t.partitions = p;
                vec![t]
            });
            match h.call(v, r).await {
                Some(ResponseKind::DescribeLogDirs(r)) => {
                    assert_eq!(r.results.len(), 1);
                    let dir = &r.results[0];
                    assert_eq!((dir.error_code, dir.log_dir.as_str()), (0, "/pg_kafka"));
                    let parts = &dir.topics[0].partitions;
                    assert_eq!(parts.len(), if wanted.is_some() { 1 } else { 2 });
                    let p1 = parts.iter().find(|p| p.partition_index == 1).unwrap();
                    assert!(p1.partition_size > 0);
                    if v >= 4 {
                        assert_eq!((dir.total_bytes, dir.usable_bytes), (-1, -1));
                    }
                }
                other => panic!("{other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn describe_topic_partitions_pages_with_a_cursor() {
    let h = harness();
    create(&h, "pa", 3, &[]).await;
    create(&h, "pb", 2, &[]).await;
    let page = |names: &[&str], limit: i32, cursor: Option<(&str, i32)>| {
        let mut r = DescribeTopicPartitionsRequest::default();
        r.topics = names
            .iter()
            .map(|n| {
                let mut t = describe_topic_partitions_request::TopicRequest::default();
                t.name = topic_name(n);
                t
            })
            .collect();
        r.response_partition_limit = limit;
        r.cursor = cursor.map(|(n, p)| {
            let mut c = describe_topic_partitions_request::Cursor::default();
            c.topic_name = topic_name(n);
            c.partition_index = p;
            c
        });
        r
    };
    let call = |r| async {
        match h.call(0, r).await {
            Some(ResponseKind::DescribeTopicPartitions(r)) => {
                let got: Vec<(String, i16, Vec<i32>)> = r
                    .topics
                    .iter()
                    .map(|t| {
                        let name = t.name.as_ref().map(|n| n.0.to_string()).unwrap_or_default();
                        (
                            name,
                            t.error_code,
                            t.partitions.iter().map(|p| p.partition_index).collect(),
                        )
                    })
                    .collect();
                let next = r
                    .next_cursor
                    .map(|c| (c.topic_name.0.to_string(), c.partition_index));
                (got, next)
            }
            other => panic!("{other:?}"),
        }
    };
    let (all, next) = call(page(&[], 0, None)).await;
    assert_eq!(
        all,
        vec![
            ("pa".into(), 0, vec![0, 1, 2]),
            ("pb".into(), 0, vec![0, 1])
        ]
    );
    assert_eq!(next, None);
    let (first, next) = call(page(&["pb", "pa"], 2, None)).await;
    assert_eq!(first, vec![("pa".into(), 0, vec![0, 1])]);
    assert_eq!(next, Some(("pa".into(), 2)));
    let (second, next) = call(page(&["pb", "pa"], 2, Some(("pa", 2)))).await;
    assert_eq!(
        second,
        vec![("pa".into(), 0, vec![2]), ("pb".into(), 0, vec![0])]
    );
    assert_eq!(next, Some(("pb".into(), 1)));
    let (missing, _) = call(page(&["zz"], 0, None)).await;
    assert_eq!(
        missing,
        vec![(
            "zz".into(),
            ResponseError::UnknownTopicOrPartition.code(),
            vec![]
        )]
    );
}

#[tokio::test]
async fn elect_leaders_needs_no_election_and_reassignments_are_empty() {
    let h = harness();
    create(&h, "el", 2, &[]).await;
    for v in 0..=2 {
        for all in [true, false] {
            let mut r = ElectLeadersRequest::default();
            r.topic_partitions = None;
            if !all {
                let mut t = elect_leaders_request::TopicPartitions::default();
                t.topic = topic_name("el");
                t.partitions = vec![1, 5];
                r.topic_partitions = Some(vec![t]);
            }
            match h.call(v, r).await {
                Some(ResponseKind::ElectLeaders(r)) => {
                    let parts = &r.replica_election_results[0].partition_result;
                    let not_needed = if v >= 1 {
                        ResponseError::ElectionNotNeeded.code()
                    } else {
                        0
                    };
                    if v == 0 {
                        assert_eq!(parts[0].error_message, None);
                    }
                    if all {
                        assert!(parts.iter().all(|p| p.error_code == not_needed));
                        assert_eq!(parts.len(), 2);
                    } else {
                        assert_eq!(parts[0].error_code, not_needed);
                        assert_eq!(
                            parts[1].error_code,
                            ResponseError::UnknownTopicOrPartition.code()
                        );
                    }
                }
                other => panic!("{other:?}"),
            }
        }
    }
    let mut r = ListPartitionReassignmentsRequest::default();
    r.topics = None;
    match h.call(0, r).await {
        Some(ResponseKind::ListPartitionReassignments(r)) => {
            assert_eq!((r.error_code, r.error_message), (0, None));
            assert!(r.topics.is_empty());
        }
        other => panic!("{other:?}"),
    }
}
