//! Idempotent producers: InitProducerId, sequence checks in the writer, and duplicate detection
//! surviving a restart.

use bytes::Bytes;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::*;
use kafka_protocol::ResponseError;

use super::produce_fetch::{produce, produce_req};
use super::testkit::{batch_full, harness, Harness};
use crate::broker::topic_name;

fn code(e: ResponseError) -> i16 {
    e.code()
}

/// InitProducerId at v4: (error, producer id, epoch).
pub(super) async fn init_producer(
    h: &Harness,
    transactional_id: Option<&str>,
    current: (i64, i16),
) -> (i16, i64, i16) {
    let mut r = InitProducerIdRequest::default();
    r.transactional_id = transactional_id.map(|t| TransactionalId(crate::broker::str_bytes(t)));
    r.transaction_timeout_ms = 60_000;
    r.producer_id = ProducerId(current.0);
    r.producer_epoch = current.1;
    match h.call(4, r).await {
        Some(ResponseKind::InitProducerId(r)) => (r.error_code, r.producer_id.0, r.producer_epoch),
        other => panic!("{other:?}"),
    }
}

fn idem(pid: i64, epoch: i16, seq: i32, n: usize) -> Bytes {
    let values: Vec<(i64, &[u8])> = (0..n).map(|i| (i as i64, &b"v"[..])).collect();
    batch_full(pid, epoch, seq, 0, &values)
}

fn high_watermark(h: &Harness, topic: &str) -> i64 {
    h.ctx
        .registry
        .get(topic)
        .unwrap()
        .partition(0)
        .unwrap()
        .high_watermark()
}

#[tokio::test]
async fn producer_ids_are_new_for_each_init_and_epochs_bump_on_reinit() {
    let h = harness();
    let (e, a, ea) = init_producer(&h, None, (-1, -1)).await;
    let (_, b, _) = init_producer(&h, None, (-1, -1)).await;
    assert_eq!((e, ea), (0, 0));
    assert_ne!(a, b);
    assert_eq!(
        init_producer(&h, None, (a, 0)).await,
        (0, a, 1),
        "KIP-360 re-init"
    );
    assert_eq!(
        init_producer(&h, None, (a, 0)).await.0,
        code(ResponseError::InvalidProducerEpoch)
    );
    let h = h.restarted();
    let (_, c, _) = init_producer(&h, None, (-1, -1)).await;
    assert!(c > a && c > b, "ids are never reused after a restart");
}

#[tokio::test]
async fn a_retried_batch_gets_its_original_offset_and_appends_nothing() {
    let h = harness();
    let (_, pid, _) = init_producer(&h, None, (-1, -1)).await;
    assert_eq!(produce(&h, "i", 0, idem(pid, 0, 0, 3)).await, (0, 0));
    assert_eq!(produce(&h, "i", 0, idem(pid, 0, 3, 2)).await, (0, 3));
    assert_eq!(produce(&h, "i", 0, idem(pid, 0, 0, 3)).await, (0, 0));
    assert_eq!(produce(&h, "i", 0, idem(pid, 0, 3, 2)).await, (0, 3));
    assert_eq!(high_watermark(&h, "i"), 5);
    assert_eq!(
        produce(&h, "i", 0, idem(pid, 0, 7, 1)).await.0,
        code(ResponseError::OutOfOrderSequenceNumber),
        "a gap"
    );
    assert_eq!(
        produce(&h, "i", 0, idem(pid, 0, 4, 2)).await.0,
        code(ResponseError::OutOfOrderSequenceNumber),
        "a partial overlap"
    );
    assert_eq!(produce(&h, "i", 0, idem(pid, 0, 5, 1)).await, (0, 5));
    assert_eq!(high_watermark(&h, "i"), 6);
}

#[tokio::test]
async fn unknown_producers_and_missing_sequences_are_refused() {
    let h = harness();
    assert_eq!(
        produce(&h, "u", 0, idem(4242, 0, 0, 1)).await.0,
        code(ResponseError::UnknownProducerId)
    );
    let (_, pid, _) = init_producer(&h, None, (-1, -1)).await;
    assert_eq!(
        produce(&h, "u", 0, idem(pid, 0, -1, 1)).await.0,
        code(ResponseError::InvalidRecord)
    );
    assert_eq!(
        produce(&h, "u", 0, idem(pid, 0, 1, 1)).await.0,
        code(ResponseError::OutOfOrderSequenceNumber),
        "a new producer starts at sequence 0"
    );
    assert_eq!(high_watermark(&h, "u"), 0);
}

#[tokio::test]
async fn an_old_epoch_is_fenced_on_every_partition_and_a_new_one_restarts_sequences() {
    let config = crate::config::BrokerConfig {
        default_partitions: 2,
        ..Default::default()
    };
    let h = super::testkit::harness_with(config, 1 << 20);
    let (_, pid, _) = init_producer(&h, None, (-1, -1)).await;
    assert_eq!(produce(&h, "f", 0, idem(pid, 0, 0, 1)).await, (0, 0));
    assert_eq!(produce(&h, "f", 1, idem(pid, 0, 0, 1)).await, (0, 0));
    assert_eq!(init_producer(&h, None, (pid, 0)).await, (0, pid, 1));
    let mut req = produce_req(-1, "f", 0, None);
    req.topic_data = vec![TopicProduceData::default()];
    req.topic_data[0].name = topic_name("f");
    for index in 0..2 {
        let mut p = PartitionProduceData::default();
        p.index = index;
        p.records = Some(idem(pid, 0, 1, 1));
        req.topic_data[0].partition_data.push(p);
    }
    match h.call(9, req).await {
        Some(ResponseKind::Produce(r)) => {
            assert_eq!(r.responses[0].partition_responses.len(), 2);
            for p in &r.responses[0].partition_responses {
                assert_eq!(p.error_code, code(ResponseError::InvalidProducerEpoch));
            }
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        produce(&h, "f", 0, idem(pid, 1, 1, 1)).await.0,
        code(ResponseError::OutOfOrderSequenceNumber),
        "a new epoch starts at sequence 0"
    );
    assert_eq!(produce(&h, "f", 0, idem(pid, 1, 0, 1)).await, (0, 1));
}

#[tokio::test]
async fn a_retry_after_a_restart_is_still_a_duplicate() {
    let h = harness();
    let (_, pid, _) = init_producer(&h, None, (-1, -1)).await;
    for (seq, offset) in [(0, 0), (2, 2), (4, 4)] {
        assert_eq!(produce(&h, "r", 0, idem(pid, 0, seq, 2)).await, (0, offset));
    }
    let h = h.restarted();
    assert_eq!(produce(&h, "r", 0, idem(pid, 0, 4, 2)).await, (0, 4));
    assert_eq!(produce(&h, "r", 0, idem(pid, 0, 2, 2)).await, (0, 2));
    assert_eq!(high_watermark(&h, "r"), 6);
    assert_eq!(produce(&h, "r", 0, idem(pid, 0, 6, 1)).await, (0, 6));
}

#[tokio::test]
async fn sequences_wrap_after_i32_max() {
    let h = harness();
    let (_, pid, _) = init_producer(&h, None, (-1, -1)).await;
    assert_eq!(produce(&h, "w", 0, idem(pid, 0, 0, 1)).await, (0, 0));
    // Jump the window to the top of the range as a long-lived producer would reach it.
    {
        let topic = h.ctx.registry.get("w").unwrap().id;
        let mut t = h.ctx.registry.producers().lock();
        let w = t.seqs.get_mut(&(pid, topic, 0)).unwrap();
        w.recent.back_mut().unwrap().first_seq = i32::MAX - 1;
        w.recent.back_mut().unwrap().last_seq = i32::MAX - 1;
    }
    assert_eq!(produce(&h, "w", 0, idem(pid, 0, i32::MAX, 2)).await, (0, 1));
    assert_eq!(produce(&h, "w", 0, idem(pid, 0, 1, 1)).await, (0, 3));
    assert_eq!(
        produce(&h, "w", 0, idem(pid, 0, i32::MAX, 2)).await,
        (0, 1),
        "duplicate"
    );
}
