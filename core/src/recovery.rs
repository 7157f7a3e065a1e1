//! Rebuild memory from the store on worker start, before the listener opens.
//!
//! Time is proportional to partitions and the cached window, not to records stored: per
//! partition it reads the head row and the newest batches that fit an equal share of the cache
//! (a partition with a batch larger than its share starts with nothing cached).
//!
//! Producer state is rebuilt into the registry's producer table: ids and epochs from the
//! producer rows, sequence windows from the newest batches of each producer per partition (the
//! batches table is their durable form), transactions from their rows. Transactions still open
//! are put back on their partitions (holding the last stable offset) and completed by the
//! writer before its first command; aborted transactions go back into each log's index.

use std::collections::HashMap;

use crate::log::{AbortedTxn, Batch, Registry, Stored, Topic, BATCH_OVERHEAD};
use crate::store::{GroupRow, OffsetRow, PartitionRow, Snapshot, Store, StoreError};

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
pub fn rebuild<S: Store + ?Sized>(
    store: &mut S,
    registry: &Registry,
) -> Result<Recovered, StoreError> {
    let snapshot = store.load_topics()?;
    let total: usize = snapshot.partitions.len().max(1);
    let share = registry_budget(registry) / total;
    let mut out = Recovered::default();
    let heads: HashMap<(uuid::Uuid, i32), &PartitionRow> = snapshot
        .partitions
        .iter()
        .map(|h| ((h.topic_id, h.partition), h))
        .collect();
    let mut topics = Vec::with_capacity(snapshot.topics.len());
    for t in snapshot.topics.clone() {
        let mut partitions = Vec::new();
        for p in 0..t.partitions {
            let head = heads.get(&(t.id, p)).ok_or_else(|| {
                StoreError(format!("topic {} has no row for partition {p}", t.name))
            })?;
            let tail = within_cost(store.load_tail(t.id, p, share)?, share);
            if let Some(last) = tail.last() {
                if last.last_offset + 1 != head.next_offset {
                    return Err(StoreError(format!(
                        "{}-{p}: newest batch ends at {} but next_offset is {}",
                        t.name, last.last_offset, head.next_offset
                    )));
                }
            }
            out.cached_bytes += tail.iter().map(|b| b.bytes.len()).sum::<usize>();
            let log = registry.new_log(head.log_start_offset, head.next_offset, tail);
            log.set_stored(Stored {
                bytes: head.stored_bytes,
                batches: head.stored_batches,
                cleaned_offset: head.cleaned_offset,
                cleaned_at_ms: head.cleaned_at_ms,
            });
            partitions.push(log);
            out.partitions += 1;
        }
        topics.push(Topic {
            name: t.name,
            id: t.id,
            partitions,
            configs: t.configs,
        });
        out.topics += 1;
    }
    for topic in registry.publish_topics(topics) {
        for log in &topic.partitions {
            log.queue_tail();
        }
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

/// The newest batches of `tail` whose cache cost (bytes and overhead) fits `share`, so that the
/// recovered windows together fit the cache without evicting each other.
fn within_cost(mut tail: Vec<Batch>, share: usize) -> Vec<Batch> {
    let mut total = 0;
    let keep = tail
        .iter()
        .rev()
        .take_while(|b| {
            total += b.bytes.len() + BATCH_OVERHEAD;
            total <= share
        })
        .count();
    tail.drain(..tail.len() - keep);
    tail
}

/// The cache budget.
fn registry_budget(registry: &Registry) -> usize {
    registry.cache().budget()
}
