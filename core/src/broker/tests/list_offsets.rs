//! Behaviour of ListOffsets, from memory and from the store.

use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::*;
use kafka_protocol::ResponseError;

use super::produce_fetch::produce;
use super::testkit::{batch, harness, harness_with, Harness};
use crate::broker::topic_name;
use crate::config::BrokerConfig;

pub(super) async fn list_offsets(
    h: &Harness,
    version: i16,
    topic: &str,
    timestamps: &[i64],
) -> Vec<(i16, i64, i64)> {
    let mut t = ListOffsetsTopic::default();
    t.name = topic_name(topic);
    t.partitions = timestamps
        .iter()
        .map(|ts| {
            let mut p = ListOffsetsPartition::default();
            p.timestamp = *ts;
            p
        })
        .collect();
    let mut r = ListOffsetsRequest::default();
    r.topics = vec![t];
    match h.call(version, r).await {
        Some(ResponseKind::ListOffsets(r)) => r.topics[0]
            .partitions
            .iter()
            .map(|p| (p.error_code, p.offset, p.timestamp))
            .collect(),
        other => panic!("{other:?}"),
    }
}

async fn check_list_offsets(h: &Harness) {
    produce(h, "lo", 0, batch(&[(100, b"a"), (200, b"b")])).await;
    produce(h, "lo", 0, batch(&[(300, b"c"), (900, b"d"), (400, b"e")])).await;
    produce(h, "lo", 0, batch(&[(500, b"f")])).await;
    let got = list_offsets(h, 7, "lo", &[-2, -1, 150, 300, 301, 901, -3]).await;
    assert_eq!(
        got,
        vec![
            (0, 0, -1),
            (0, 6, -1),
            (0, 1, 200),
            (0, 2, 300),
            (0, 3, 900),
            (0, -1, -1),
            (0, 3, 900)
        ]
    );
    for v in 1..=8 {
        assert_eq!(list_offsets(h, v, "lo", &[-1]).await, vec![(0, 6, -1)]);
    }
    // MAX_TIMESTAMP came with v7 for the Java client's sake; Kafka answers it at any version,
    // and Sarama (v6) and kafka-go (v5) send it there.
    for v in 1..=6 {
        assert_eq!(
            list_offsets(h, v, "lo", &[-3]).await,
            vec![(0, 3, 900)],
            "v{v}"
        );
    }
    let unknown = ResponseError::UnknownTopicOrPartition.code();
    assert_eq!(list_offsets(h, 7, "none", &[-1]).await[0].0, unknown);
}

#[tokio::test]
async fn list_offsets_earliest_latest_and_by_timestamp_from_memory() {
    let h = harness();
    check_list_offsets(&h).await;
    assert!(h
        .ctx
        .registry
        .get("lo")
        .unwrap()
        .partition(0)
        .unwrap()
        .window_covers_log());
}

#[tokio::test]
async fn list_offsets_by_timestamp_from_the_store() {
    let h = harness_with(BrokerConfig::default(), 1);
    check_list_offsets(&h).await;
    assert!(!h
        .ctx
        .registry
        .get("lo")
        .unwrap()
        .partition(0)
        .unwrap()
        .window_covers_log());
}
