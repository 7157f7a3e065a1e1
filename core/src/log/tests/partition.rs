//! In-memory partition logs: reads, eviction, log start, publish wake-ups.

use std::sync::Arc;

use bytes::Bytes;

use crate::log::cache::{cost, Cache};
use crate::log::partition::*;

fn log_in(cache: &Arc<Cache>) -> Arc<PartitionLog> {
    Arc::new(PartitionLog::in_cache(cache, 0, 0, vec![]))
}

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
    let log = Arc::new(PartitionLog::new(0, 0, vec![]));
    log.publish(vec![batch(0, 3, 10), batch(3, 2, 10), batch(5, 5, 10)]);
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
fn eviction_takes_the_oldest_batches_and_reports_below_window() {
    let cache = Cache::new(cost(100) + cost(100) / 2);
    let log = log_in(&cache);
    log.publish(vec![batch(0, 1, 100), batch(1, 1, 100), batch(2, 1, 100)]);
    assert_eq!(log.cached_bytes(), 100);
    assert_eq!(cache.total(), cost(100));
    assert_eq!(log.window_start(), Some(2));
    assert_eq!(log.read(0, 1000), ReadResult::BelowWindow);
    assert!(!log.window_covers_log());
    // A batch larger than the whole cache is not kept either: it is read from the store.
    log.publish(vec![batch(3, 1, 500)]);
    assert_eq!((log.cached_bytes(), cache.total()), (0, 0));
    assert_eq!(log.window_start(), None);
    assert_eq!(log.read(3, 1000), ReadResult::BelowWindow);
    assert_eq!(log.read(4, 1000), ReadResult::Batches(vec![]));
}

#[test]
fn one_budget_holds_across_partitions_and_the_oldest_go_first() {
    // 2,000 partitions each given one 1 KiB batch, in a cache of 100 of them: the cache holds
    // the 100 newest, whichever partitions they are on.
    let cache = Cache::new(100 * cost(1024));
    let logs: Vec<_> = (0..2000).map(|_| log_in(&cache)).collect();
    for log in &logs {
        log.publish(vec![batch(0, 1, 1024)]);
        assert!(cache.total() <= cache.budget());
    }
    let cached: Vec<usize> = logs.iter().map(|l| l.cached_bytes()).collect();
    assert!(cached[..1900].iter().all(|&b| b == 0));
    assert!(cached[1900..].iter().all(|&b| b == 1024));
    // One busy partition may then use the whole cache.
    let busy = &logs[0];
    for i in 1..=200 {
        busy.publish(vec![batch(i, 1, 1024)]);
    }
    assert_eq!(busy.cached_bytes(), 100 * 1024);
    assert_eq!(busy.window_start(), Some(101));
    assert!(logs[1..].iter().all(|l| l.cached_bytes() == 0));
    assert_eq!(cache.total(), 100 * cost(1024));
}

#[test]
fn tiny_batches_are_counted_with_their_bookkeeping() {
    let cache = Cache::new(1000 * cost(1));
    let log = log_in(&cache);
    for i in 0..5000 {
        log.publish(vec![batch(i, 1, 1)]);
    }
    assert_eq!(
        log.cached_bytes(),
        1000,
        "1,000 one-byte batches, not the budget's worth"
    );
}

#[test]
fn the_total_follows_log_start_moves_and_dropped_logs() {
    let cache = Cache::new(usize::MAX);
    let log = log_in(&cache);
    log.publish(vec![batch(0, 5, 10), batch(5, 5, 10)]);
    assert_eq!(cache.total(), 2 * cost(10));
    log.advance_log_start(6);
    assert_eq!(cache.total(), cost(10));
    let other = log_in(&cache);
    other.publish(vec![batch(0, 1, 7)]);
    assert_eq!(cache.total(), cost(10) + cost(7));
    drop(log);
    assert_eq!(
        cache.total(),
        cost(7),
        "a deleted topic's batches leave the total"
    );
    let recovered = Arc::new(PartitionLog::in_cache(&cache, 0, 2, vec![batch(0, 2, 3)]));
    assert_eq!(cache.total(), cost(7) + cost(3));
    drop((other, recovered));
    assert_eq!(cache.total(), 0);
}

#[test]
fn log_start_only_moves_forward() {
    let log = Arc::new(PartitionLog::new(0, 0, vec![]));
    log.publish(vec![batch(0, 5, 10), batch(5, 5, 10)]);
    assert_eq!(log.advance_log_start(6), 10);
    assert_eq!(log.log_start_offset(), 6);
    assert_eq!(log.advance_log_start(2), 0);
    assert_eq!(log.log_start_offset(), 6);
    assert_eq!(log.read(5, 100), ReadResult::OutOfRange);
    assert!(matches!(log.read(6, 100), ReadResult::Batches(b) if b.len() == 1));
}

#[tokio::test]
async fn publish_wakes_subscribers() {
    let log = Arc::new(PartitionLog::new(0, 0, vec![]));
    let mut rx = log.subscribe();
    let l2 = log.clone();
    let waiter = tokio::spawn(async move {
        rx.changed().await.unwrap();
        *rx.borrow()
    });
    tokio::task::yield_now().await;
    l2.publish(vec![batch(0, 2, 1)]);
    assert_eq!(waiter.await.unwrap(), 2);
}
