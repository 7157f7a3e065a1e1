//! Request order, response size limits and hostile record bytes.

use bytes::Bytes;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::*;
use kafka_protocol::ResponseError;

use super::produce_fetch::{produce, produce_req};
use super::testkit::{batch, harness};
use crate::broker::topic_name;

#[tokio::test]
async fn pipelined_produces_are_appended_in_request_order() {
    let h = harness();
    produce(&h, "order", 0, batch(&[(1, b"create")])).await;
    let first = h
        .dispatch(9, produce_req(1, "order", 0, Some(batch(&[(2, b"a")]))))
        .await;
    let second = h
        .dispatch(9, produce_req(1, "order", 0, Some(batch(&[(3, b"b")]))))
        .await;
    let base = |r: Option<ResponseKind>| match r {
        Some(ResponseKind::Produce(r)) => r.responses[0].partition_responses[0].base_offset,
        other => panic!("{other:?}"),
    };
    let b = base(second.await);
    let a = base(first.await);
    assert_eq!((a, b), (1, 2));
}

#[tokio::test]
async fn fetch_max_bytes_gives_the_first_partition_one_whole_batch_and_the_rest_nothing() {
    let h = harness();
    for p in 0..2 {
        let mut req = produce_req(1, "two", p, Some(batch(&[(1, &[7u8; 100][..])])));
        if p == 0 {
            // Auto-creation makes one partition; create the topic with two first.
            let mut t = kafka_protocol::messages::create_topics_request::CreatableTopic::default();
            t.name = topic_name("two");
            t.num_partitions = 2;
            t.replication_factor = 1;
            let mut c = CreateTopicsRequest::default();
            c.topics = vec![t];
            h.call(7, c).await;
        }
        req.timeout_ms = 1000;
        match h.call(9, req).await {
            Some(ResponseKind::Produce(r)) => {
                assert_eq!(r.responses[0].partition_responses[0].error_code, 0)
            }
            other => panic!("{other:?}"),
        }
    }
    let mut t = FetchTopic::default();
    t.topic = topic_name("two");
    t.partitions = (0..2)
        .map(|i| {
            let mut p = FetchPartition::default();
            p.partition = i;
            p.partition_max_bytes = 1 << 20;
            p
        })
        .collect();
    let mut req = FetchRequest::default();
    req.max_bytes = 10;
    req.topics = vec![t];
    match h.call(12, req).await {
        Some(ResponseKind::Fetch(r)) => {
            let parts = &r.responses[0].partitions;
            assert!(parts[0].records.as_ref().unwrap().len() > 100);
            assert!(parts[1].records.as_ref().unwrap().is_empty());
            assert_eq!(parts[1].high_watermark, 1);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn hostile_record_bytes_are_refused_without_panicking() {
    let h = harness();
    produce(&h, "hostile", 0, batch(&[(1, b"ok")])).await;
    let good = batch(&[(1, b"v")]).to_vec();
    let mut huge_len = good.clone();
    huge_len[8..12].copy_from_slice(&i32::MAX.to_be_bytes());
    let mut negative_len = good.clone();
    negative_len[8..12].copy_from_slice(&(-1i32).to_be_bytes());
    let mut wrong_magic = good.clone();
    wrong_magic[16] = 1;
    let mut trailing = good.clone();
    trailing.extend_from_slice(&[0u8; 5]);
    let cases: Vec<Vec<u8>> = vec![
        vec![0u8; 3],
        vec![0xffu8; 61],
        huge_len,
        negative_len,
        wrong_magic,
        trailing,
        good[..good.len() - 1].to_vec(),
    ];
    for (i, case) in cases.into_iter().enumerate() {
        let (err, base) = produce(&h, "hostile", 0, Bytes::from(case)).await;
        assert_ne!(err, 0, "case {i} was accepted");
        assert_eq!(base, -1);
    }
    let log = h.ctx.registry.get("hostile").unwrap();
    assert_eq!(log.partition(0).unwrap().high_watermark(), 1);
    let unknown = ResponseError::UnknownTopicOrPartition.code();
    let (err, _) = produce(&h, "hostile", -1, Bytes::from(good)).await;
    assert_eq!(err, unknown);
}
