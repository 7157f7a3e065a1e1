//! In-memory partition logs: reads, eviction, log start, publish wake-ups.

use bytes::Bytes;

use crate::log::partition::*;

pub(crate) fn batch(base: i64, count: i32, size: usize) -> Batch {
    Batch {
        base_offset: base,
        last_offset: base + count as i64 - 1,
        base_timestamp: 1000 + base,
        max_timestamp: 1000 + base + count as i64 - 1,
        record_count: count,
        attributes: 0,
        producer_id: -1,
        producer_epoch: -1,
        base_sequence: -1,
        bytes: Bytes::from(vec![base as u8; size]),
    }
}

#[test]
fn reads_whole_batches_from_the_one_holding_the_offset() {
    let log = PartitionLog::new(0, 0, vec![]);
    log.publish(
        vec![batch(0, 3, 10), batch(3, 2, 10), batch(5, 5, 10)],
        usize::MAX,
    );
    assert_eq!(log.high_watermark(), 10);
    match log.read(4, 15) {
        ReadResult::Batches(b) => {
            assert_eq!(b.len(), 1);
            assert_eq!(b[0].base_offset, 3);
        }
        other => panic!("{other:?}"),
    }
    match log.read(0, 1) {
        ReadResult::Batches(b) => assert_eq!(b.len(), 1, "first batch always returned"),
        other => panic!("{other:?}"),
    }
    assert_eq!(log.read(10, 100), ReadResult::Batches(vec![]));
    assert_eq!(log.read(11, 100), ReadResult::OutOfRange);
    assert_eq!(log.read(-1, 100), ReadResult::OutOfRange);
}

#[test]
fn eviction_keeps_the_newest_batch_and_reports_below_window() {
    let log = PartitionLog::new(0, 0, vec![]);
    log.publish(
        vec![batch(0, 1, 100), batch(1, 1, 100), batch(2, 1, 100)],
        150,
    );
    assert_eq!(log.cached_bytes(), 100);
    assert_eq!(log.window_start(), Some(2));
    assert_eq!(log.read(0, 1000), ReadResult::BelowWindow);
    assert!(!log.window_covers_log());
    log.publish(vec![batch(3, 1, 500)], 10);
    assert_eq!(log.cached_bytes(), 500);
    assert_eq!(log.window_start(), Some(3));
}

#[test]
fn log_start_only_moves_forward() {
    let log = PartitionLog::new(0, 0, vec![]);
    log.publish(vec![batch(0, 5, 10), batch(5, 5, 10)], usize::MAX);
    assert_eq!(log.advance_log_start(6), 10);
    assert_eq!(log.log_start_offset(), 6);
    assert_eq!(log.advance_log_start(2), 0);
    assert_eq!(log.log_start_offset(), 6);
    assert_eq!(log.read(5, 100), ReadResult::OutOfRange);
    assert!(matches!(log.read(6, 100), ReadResult::Batches(b) if b.len() == 1));
}

#[tokio::test]
async fn publish_wakes_subscribers() {
    let log = std::sync::Arc::new(PartitionLog::new(0, 0, vec![]));
    let mut rx = log.subscribe();
    let l2 = log.clone();
    let waiter = tokio::spawn(async move {
        rx.changed().await.unwrap();
        *rx.borrow()
    });
    tokio::task::yield_now().await;
    l2.publish(vec![batch(0, 2, 1)], usize::MAX);
    assert_eq!(waiter.await.unwrap(), 2);
}
