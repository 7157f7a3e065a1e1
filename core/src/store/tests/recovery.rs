//! Recovery rebuilds memory from what a store committed.

use crate::log::Registry;
use std::sync::Arc;

use std::collections::BTreeMap;

use bytes::Bytes;
use tokio::sync::oneshot;

use crate::log::ReadResult;
use crate::recovery::*;
use crate::writer::{Append, Command, NewTopic, PendingBatch, Writer};

#[test]
fn rebuild_restores_heads_and_tails_at_the_same_offsets() {
    let registry = Arc::new(Registry::new(1 << 20));
    let mut writer = Writer::new(registry.clone());
    let mut store = crate::store::MemStore::new();
    let (tx, mut rx) = oneshot::channel();
    writer.process(
        &mut store,
        vec![Command::CreateTopics {
            topics: vec![NewTopic {
                name: "r".into(),
                partitions: 2,
                configs: BTreeMap::new(),
            }],
            validate_only: false,
            reply: tx,
        }],
    );
    let topic = rx.try_recv().unwrap().remove(0).unwrap();
    for n in 1..=3 {
        let batch = PendingBatch {
            bytes: Bytes::from(vec![n as u8; 70]),
            record_count: n,
            last_offset_delta: n - 1,
            base_timestamp: 0,
            max_timestamp: 0,
            attributes: 0,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
        };
        writer.process(
            &mut store,
            vec![Command::Produce {
                appends: vec![Append {
                    topic: topic.clone(),
                    partition: 1,
                    batches: vec![batch],
                }],
                reply: None,
            }],
        );
    }
    let fresh = Registry::new(1 << 20);
    let r = rebuild(&mut store, &fresh).unwrap();
    assert_eq!(r.topics, 1);
    assert_eq!(r.partitions, 2);
    let t = fresh.get("r").unwrap();
    assert_eq!(t.id, topic.id);
    assert_eq!(t.partition(0).unwrap().high_watermark(), 0);
    let p1 = t.partition(1).unwrap();
    assert_eq!(p1.high_watermark(), 6);
    match p1.read(3, usize::MAX) {
        ReadResult::Batches(b) => assert_eq!(&b[0].bytes[..8], &3i64.to_be_bytes()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn recovered_windows_fit_the_cache_however_many_partitions_hold_a_large_batch() {
    // 200 partitions whose newest batch is 4 KiB each, recovered into a 64 KiB cache: what is
    // cached stays within it (it used to be at least one batch per partition, 800 KiB).
    let mut writer = Writer::new(Arc::new(Registry::new(usize::MAX)));
    let mut store = crate::store::MemStore::new();
    let (tx, mut rx) = oneshot::channel();
    writer.process(
        &mut store,
        vec![Command::CreateTopics {
            topics: vec![NewTopic {
                name: "wide".into(),
                partitions: 200,
                configs: BTreeMap::new(),
            }],
            validate_only: false,
            reply: tx,
        }],
    );
    let topic = rx.try_recv().unwrap().remove(0).unwrap();
    let appends = (0..200)
        .map(|p| Append {
            topic: topic.clone(),
            partition: p,
            batches: vec![PendingBatch {
                bytes: Bytes::from(vec![7u8; 4096]),
                record_count: 1,
                last_offset_delta: 0,
                base_timestamp: 0,
                max_timestamp: 0,
                attributes: 0,
                producer_id: -1,
                producer_epoch: -1,
                base_sequence: -1,
            }],
        })
        .collect();
    writer.process(
        &mut store,
        vec![Command::Produce {
            appends,
            reply: None,
        }],
    );
    let fresh = Registry::new(64 << 10);
    let r = rebuild(&mut store, &fresh).unwrap();
    assert!(
        r.cached_bytes <= 64 << 10,
        "recovery cached {} bytes",
        r.cached_bytes
    );
    assert!(fresh.cache().total() <= fresh.cache().budget());
    assert_eq!(fresh.cached_bytes(), r.cached_bytes);
    // Every partition still reads at its offsets, from the store where not cached.
    let t = fresh.get("wide").unwrap();
    assert!(t.partitions.iter().all(|l| l.high_watermark() == 1));
}
