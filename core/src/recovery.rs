//! Rebuild memory from the store on worker start, before the listener opens.
//!
//! Time is proportional to partitions and the cached window, not to records stored: per
//! partition it reads the head row and the newest batches that fit the partition's cache share.
//!
//! Producer state is rebuilt into the registry's producer table: ids and epochs from the
//! producer rows, sequence windows from the newest batches of each producer per partition (the
//! batches table is their durable form), transactions from their rows. Transactions still open
//! are put back on their partitions (holding the last stable offset) and completed by the
//! writer before its first command; aborted transactions go back into each log's index.

use std::collections::HashMap;
use std::sync::Arc;

use crate::log::{AbortedTxn, PartitionLog, Registry, Topic};
use crate::store::{GroupRow, OffsetRow, Snapshot, Store, StoreError};

/// What recovery found. Consumer groups and offsets are handed on to the group coordinator.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Recovered {
    pub topics: usize,
    pub partitions: usize,
    pub cached_bytes: usize,
    pub groups: Vec<GroupRow>,
    pub offsets: Vec<OffsetRow>,
    /// Producer ids known (their state is in the registry's producer table).
    pub producers: usize,
    /// Transactions left open, to be completed by the writer.
    pub open_transactions: usize,
}

/// Load every topic and its partitions' tails into `registry`.
pub fn rebuild<S: Store>(store: &mut S, registry: &Registry) -> Result<Recovered, StoreError> {
    let snapshot = store.load_topics()?;
    let total: usize = snapshot.partitions.len().max(1);
    let share = registry_budget(registry) / total;
    let mut out = Recovered::default();
    for t in snapshot.topics.clone() {
        let mut partitions = Vec::with_capacity(t.partitions.max(0) as usize);
        for p in 0..t.partitions {
            let head = snapshot
                .partitions
                .iter()
                .find(|h| h.topic_id == t.id && h.partition == p)
                .ok_or_else(|| {
                    StoreError(format!("topic {} has no row for partition {p}", t.name))
                })?;
            let tail = store.load_tail(t.id, p, share)?;
            if let Some(last) = tail.last() {
                if last.last_offset + 1 != head.next_offset {
                    return Err(StoreError(format!(
                        "{}-{p}: newest batch ends at {} but next_offset is {}",
                        t.name, last.last_offset, head.next_offset
                    )));
                }
            }
            out.cached_bytes += tail.iter().map(|b| b.bytes.len()).sum::<usize>();
            partitions.push(Arc::new(PartitionLog::new(
                head.log_start_offset,
                head.next_offset,
                tail,
            )));
            out.partitions += 1;
        }
        registry.publish_topic(Topic {
            name: t.name,
            id: t.id,
            partitions,
            configs: t.configs,
        });
        out.topics += 1;
    }
    restore_producers(&snapshot, registry, &mut out);
    out.groups = snapshot.groups;
    out.offsets = snapshot.offsets;
    Ok(out)
}

fn restore_producers(snapshot: &Snapshot, registry: &Registry, out: &mut Recovered) {
    let table = crate::txn::Table::recovered(snapshot);
    out.producers = table.producers.len();
    let log = |topic_id, partition| {
        registry
            .get_by_id(&topic_id)
            .and_then(|t| t.partition(partition).cloned())
    };
    let mut aborted: HashMap<(uuid::Uuid, i32), Vec<AbortedTxn>> = HashMap::new();
    for a in &snapshot.aborted_txns {
        aborted
            .entry((a.topic_id, a.partition))
            .or_default()
            .push(AbortedTxn {
                producer_id: a.producer_id,
                first_offset: a.first_offset,
                last_offset: a.last_offset,
            });
    }
    let mut ongoing: HashMap<(uuid::Uuid, i32), Vec<(i64, i64)>> = HashMap::new();
    for t in table.txns.values().filter(|t| t.open()) {
        out.open_transactions += 1;
        for (&key, &first) in t.partitions.iter().filter(|(_, f)| **f >= 0) {
            ongoing.entry(key).or_default().push((t.producer_id, first));
        }
    }
    let keys: std::collections::HashSet<_> =
        aborted.keys().chain(ongoing.keys()).copied().collect();
    for key in keys {
        if let Some(l) = log(key.0, key.1) {
            l.restore_txns(
                ongoing.remove(&key).unwrap_or_default(),
                aborted.remove(&key).unwrap_or_default(),
            );
        }
    }
    *registry.producers().lock() = table;
}

fn registry_budget(registry: &Registry) -> usize {
    // An empty registry's share is the whole budget.
    registry.partition_cache_share()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use bytes::Bytes;
    use tokio::sync::oneshot;

    use super::*;
    use crate::log::ReadResult;
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
}
