//! Behaviour of Metadata, Produce and Fetch against a real writer and MemStore.

use bytes::Bytes;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::*;
use kafka_protocol::ResponseError;
use uuid::Uuid;

use super::testkit::{batch, batch_with, concat, harness, harness_with, stamped, Harness};
use crate::broker::topic_name;
use crate::config::BrokerConfig;

pub(super) fn produce_req(
    acks: i16,
    topic: &str,
    partition: i32,
    records: Option<Bytes>,
) -> ProduceRequest {
    let mut p = PartitionProduceData::default();
    p.index = partition;
    p.records = records;
    let mut t = TopicProduceData::default();
    t.name = topic_name(topic);
    t.partition_data = vec![p];
    let mut r = ProduceRequest::default();
    r.acks = acks;
    r.timeout_ms = 1000;
    r.topic_data = vec![t];
    r
}

/// Produce at v9 with acks=-1; (error_code, base_offset) of the one partition.
pub(super) async fn produce(
    h: &Harness,
    topic: &str,
    partition: i32,
    records: Bytes,
) -> (i16, i64) {
    produce_v(h, 9, produce_req(-1, topic, partition, Some(records))).await
}

async fn produce_v(h: &Harness, version: i16, req: ProduceRequest) -> (i16, i64) {
    match h.call(version, req).await {
        Some(ResponseKind::Produce(r)) => {
            let p = &r.responses[0].partition_responses[0];
            (p.error_code, p.base_offset)
        }
        other => panic!("{other:?}"),
    }
}

pub(super) fn fetch_req(
    topic: &str,
    id: Uuid,
    offset: i64,
    min_bytes: i32,
    max_wait_ms: i32,
) -> FetchRequest {
    let mut p = FetchPartition::default();
    p.partition = 0;
    p.fetch_offset = offset;
    p.partition_max_bytes = 1 << 20;
    let mut t = FetchTopic::default();
    t.topic = topic_name(topic);
    t.topic_id = id;
    t.partitions = vec![p];
    let mut r = FetchRequest::default();
    r.max_wait_ms = max_wait_ms;
    r.min_bytes = min_bytes;
    r.topics = vec![t];
    r
}

/// (error_code, high_watermark, records) of the one partition.
pub(super) async fn fetch(h: &Harness, version: i16, req: FetchRequest) -> (i16, i64, Bytes) {
    match h.call(version, req).await {
        Some(ResponseKind::Fetch(r)) => {
            let p = &r.responses[0].partitions[0];
            (
                p.error_code,
                p.high_watermark,
                p.records.clone().unwrap_or_default(),
            )
        }
        other => panic!("{other:?}"),
    }
}

async fn metadata(
    h: &Harness,
    version: i16,
    topics: Option<Vec<MetadataRequestTopic>>,
    auto: bool,
) -> MetadataResponse {
    let mut r = MetadataRequest::default();
    r.topics = topics;
    r.allow_auto_topic_creation = auto;
    match h.call(version, r).await {
        Some(ResponseKind::Metadata(m)) => m,
        other => panic!("{other:?}"),
    }
}

fn by_name(name: &str) -> MetadataRequestTopic {
    let mut t = MetadataRequestTopic::default();
    t.name = Some(topic_name(name));
    t
}

#[tokio::test]
async fn metadata_auto_creates_topics_and_finds_them_by_id() {
    let config = BrokerConfig {
        default_partitions: 3,
        node_id: 7,
        ..Default::default()
    };
    let h = harness_with(config, 1 << 20);
    let m = metadata(&h, 12, Some(vec![by_name("auto")]), true).await;
    assert_eq!(m.brokers.len(), 1);
    assert_eq!(m.brokers[0].node_id.0, 7);
    assert_eq!(m.controller_id.0, 7);
    let t = &m.topics[0];
    assert_eq!(t.error_code, 0);
    assert_eq!(t.partitions.len(), 3);
    assert_eq!(t.partitions[2].leader_id.0, 7);
    assert!(!t.topic_id.is_nil());

    let mut by_id = MetadataRequestTopic::default();
    by_id.name = None;
    by_id.topic_id = t.topic_id;
    let mut unknown_id = MetadataRequestTopic::default();
    unknown_id.topic_id = Uuid::new_v4();
    let m = metadata(&h, 12, Some(vec![by_id, unknown_id]), false).await;
    assert_eq!(
        m.topics[0].name.as_ref().map(|n| n.0.to_string()),
        Some("auto".into())
    );
    assert_eq!(m.topics[1].error_code, ResponseError::UnknownTopicId.code());

    let m = metadata(&h, 9, Some(vec![by_name("nope"), by_name("a/b")]), false).await;
    assert_eq!(
        m.topics[0].error_code,
        ResponseError::UnknownTopicOrPartition.code()
    );
    let m = metadata(&h, 9, Some(vec![by_name("a/b")]), true).await;
    assert_eq!(
        m.topics[0].error_code,
        ResponseError::InvalidTopicException.code()
    );
    assert!(h.ctx.registry.get("nope").is_none());

    for v in 0..=12 {
        let topics = if v == 0 { Some(vec![]) } else { None };
        let m = metadata(&h, v, topics, false).await;
        assert_eq!(m.topics.len(), 1, "all topics at v{v}");
    }
    let m = metadata(&h, 1, Some(vec![]), false).await;
    assert!(
        m.topics.is_empty(),
        "an empty list asks for no topics from v1"
    );
}

#[tokio::test]
async fn produce_then_fetch_returns_the_exact_bytes_with_offsets_stamped() {
    let h = harness();
    let a = batch(&[(1000, b"a0"), (1001, b"a1")]);
    let b = batch(&[(1002, b"b0")]);
    let c = batch(&[(1003, b"c0"), (1004, b"c1"), (1005, b"c2")]);
    assert_eq!(
        produce(&h, "rt", 0, concat(&[a.clone(), b.clone()])).await,
        (0, 0)
    );
    assert_eq!(produce(&h, "rt", 0, c.clone()).await, (0, 3));

    let mut expected = stamped(&a, 0);
    expected.extend(stamped(&b, 2));
    expected.extend(stamped(&c, 3));
    let (err, hw, records) = fetch(&h, 12, fetch_req("rt", Uuid::nil(), 0, 0, 0)).await;
    assert_eq!((err, hw), (0, 6));
    assert_eq!(&records[..], &expected[..]);

    let id = h.ctx.registry.get("rt").unwrap().id;
    let (err, _, records) = fetch(&h, 13, fetch_req("", id, 3, 0, 0)).await;
    assert_eq!(err, 0);
    assert_eq!(&records[..], &stamped(&c, 3)[..]);

    for v in 3..=11 {
        let (err, base) = produce_v(&h, v, produce_req(1, "rt", 0, Some(b.clone()))).await;
        assert_eq!(err, 0);
        assert!(base >= 6);
    }
    for v in 4..=16 {
        let req = fetch_req("rt", id, 0, 0, 0);
        let (err, hw, _) = fetch(&h, v, req).await;
        assert_eq!((err, hw), (0, 15), "fetch v{v}");
    }
}

#[tokio::test]
async fn acks_zero_gets_no_response_but_the_records_land() {
    let h = harness();
    let req = produce_req(0, "quiet", 0, Some(batch(&[(1, b"x"), (2, b"y")])));
    assert!(h.call(9, req).await.is_none());
    // Appends are applied in request order: once this one is acknowledged, so is the first.
    assert_eq!(produce(&h, "quiet", 0, batch(&[(3, b"z")])).await, (0, 2));
    assert_eq!(
        h.ctx
            .registry
            .get("quiet")
            .unwrap()
            .partition(0)
            .unwrap()
            .high_watermark(),
        3
    );
}

#[tokio::test]
async fn fetch_long_poll_wakes_when_data_is_published() {
    let h = harness();
    assert_eq!(produce(&h, "lp", 0, batch(&[(1, b"first")])).await, (0, 0));
    let reply = h
        .dispatch(12, fetch_req("lp", Uuid::nil(), 1, 1, 60_000))
        .await;
    let waiter = tokio::spawn(reply);
    tokio::task::yield_now().await;
    let second = batch(&[(2, b"second")]);
    assert_eq!(produce(&h, "lp", 0, second.clone()).await, (0, 1));
    match waiter.await.unwrap() {
        Some(ResponseKind::Fetch(r)) => {
            let p = &r.responses[0].partitions[0];
            assert_eq!(p.error_code, 0);
            assert_eq!(p.high_watermark, 2);
            assert_eq!(&p.records.as_ref().unwrap()[..], &stamped(&second, 1)[..]);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn fetch_out_of_range_and_unknown_topics_are_errors() {
    let h = harness();
    assert_eq!(produce(&h, "oor", 0, batch(&[(1, b"v")])).await, (0, 0));
    let (err, hw, _) = fetch(&h, 12, fetch_req("oor", Uuid::nil(), 100, 1, 5_000)).await;
    assert_eq!((err, hw), (ResponseError::OffsetOutOfRange.code(), 1));
    let (err, _, _) = fetch(&h, 12, fetch_req("missing", Uuid::nil(), 0, 0, 0)).await;
    assert_eq!(err, ResponseError::UnknownTopicOrPartition.code());
    let (err, _, _) = fetch(&h, 13, fetch_req("", Uuid::new_v4(), 0, 0, 0)).await;
    assert_eq!(err, ResponseError::UnknownTopicId.code());
}

#[tokio::test]
async fn fetch_below_the_memory_window_is_served_from_the_store() {
    let h = harness_with(BrokerConfig::default(), 100);
    let batches: Vec<Bytes> = (0..4).map(|i| batch(&[(i, &[i as u8; 80][..])])).collect();
    for (i, b) in batches.iter().enumerate() {
        assert_eq!(produce(&h, "old", 0, b.clone()).await, (0, i as i64));
    }
    let log = h
        .ctx
        .registry
        .get("old")
        .unwrap()
        .partition(0)
        .unwrap()
        .clone();
    assert!(
        !log.window_covers_log(),
        "the tiny cache budget evicted the oldest batches"
    );
    let mut req = fetch_req("old", Uuid::nil(), 0, 0, 0);
    req.max_bytes = 1;
    let (err, hw, records) = fetch(&h, 12, req).await;
    assert_eq!((err, hw), (0, 4));
    assert_eq!(
        &records[..],
        &stamped(&batches[0], 0)[..],
        "one whole batch despite max_bytes"
    );
}

#[tokio::test]
async fn produce_refuses_what_it_cannot_append() {
    let h = harness();
    let good = batch(&[(1, b"v")]);
    let code = |e: ResponseError| e.code();
    assert_eq!(
        produce_v(&h, 9, produce_req(2, "p", 0, Some(good.clone())))
            .await
            .0,
        code(ResponseError::InvalidRequiredAcks)
    );
    let mut txn = produce_req(-1, "p", 0, Some(good.clone()));
    txn.transactional_id = Some(TransactionalId(crate::broker::str_bytes("tx")));
    assert_eq!(
        produce_v(&h, 9, txn).await.0,
        code(ResponseError::InvalidTxnState),
        "a transactional request carrying non-transactional batches"
    );
    assert_eq!(produce(&h, "p", 0, good.clone()).await, (0, 0));
    assert_eq!(
        produce(&h, "p", 5, good.clone()).await.0,
        code(ResponseError::UnknownTopicOrPartition)
    );
    assert_eq!(
        produce(&h, "p", 0, Bytes::new()).await.0,
        code(ResponseError::CorruptMessage)
    );
    assert_eq!(
        produce_v(&h, 9, produce_req(-1, "p", 0, None)).await.0,
        code(ResponseError::CorruptMessage)
    );
    let mut corrupt = good.to_vec();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0xff;
    assert_eq!(
        produce(&h, "p", 0, Bytes::from(corrupt)).await.0,
        code(ResponseError::CorruptMessage)
    );
    assert_eq!(
        produce(&h, "p", 0, batch_with(42, 0, &[(1, b"v")])).await.0,
        code(ResponseError::UnknownProducerId)
    );
    assert_eq!(
        produce(&h, "p", 0, batch_with(-1, 0x20, &[(1, b"v")]))
            .await
            .0,
        code(ResponseError::InvalidRecord)
    );
    let big = vec![0u8; 1_048_700];
    assert_eq!(
        produce(&h, "p", 0, batch(&[(1, &big[..])])).await.0,
        code(ResponseError::MessageTooLarge)
    );
    assert_eq!(
        h.ctx
            .registry
            .get("p")
            .unwrap()
            .partition(0)
            .unwrap()
            .high_watermark(),
        1
    );

    let config = BrokerConfig {
        auto_create_topics: false,
        ..Default::default()
    };
    let h = harness_with(config, 1 << 20);
    assert_eq!(
        produce(&h, "p", 0, good).await.0,
        code(ResponseError::UnknownTopicOrPartition)
    );
    assert!(h.ctx.registry.get("p").is_none());
}

/// The bytes of a request frame, with a flag set when the last slice of them is dropped.
struct Frame {
    data: Vec<u8>,
    freed: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl AsRef<[u8]> for Frame {
    fn as_ref(&self) -> &[u8] {
        &self.data
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        self.freed.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_produce_frame_is_freed_once_its_batches_are_committed_not_when_it_is_answered() {
    use kafka_protocol::protocol::{Decodable, Encodable};
    use std::sync::atomic::{AtomicBool, Ordering};
    let h = harness();
    let mut wire = bytes::BytesMut::new();
    produce_req(-1, "freed", 0, Some(batch(&[(1, b"x")])))
        .encode(&mut wire, 9)
        .unwrap();
    let freed = std::sync::Arc::new(AtomicBool::new(false));
    let mut frame = Bytes::from_owner(Frame {
        data: wire.to_vec(),
        freed: freed.clone(),
    });
    let req = ProduceRequest::decode(&mut frame, 9).unwrap();
    drop(frame);
    // Dispatched, not yet answered: the reply is held, as a connection holds it until the
    // client reads the response.
    let reply = h.dispatch(9, req).await;
    let log = h
        .ctx
        .registry
        .get("freed")
        .unwrap()
        .partition(0)
        .unwrap()
        .clone();
    while log.high_watermark() < 1 {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    assert!(
        freed.load(Ordering::SeqCst),
        "the request frame outlived the writer's copy of its batch"
    );
    match reply.await {
        Some(ResponseKind::Produce(r)) => {
            assert_eq!(r.responses[0].name.0.as_str(), "freed");
            assert_eq!(r.responses[0].partition_responses[0].error_code, 0);
        }
        other => panic!("{other:?}"),
    }
}
