//! Log compaction's decisions, free of I/O: which record of each key is the latest, and what
//! becomes of each batch (kept as it is, rebuilt with fewer records, or removed).
//!
//! Kafka's rules, with a batch where Kafka has a segment:
//! - the latest record of each key stays; earlier ones go. Keys are compared whole (never by
//!   hash), so two keys never collide;
//! - a record without a key goes (a compacted topic refuses them at produce; older ones may be
//!   left from before the policy changed);
//! - a tombstone (null value) stays until its batch's delete horizon has passed; the horizon is
//!   set (now + delete.retention.ms) the first time the cleaner keeps it;
//! - records of aborted transactions go;
//! - a transaction marker stays until its own delete horizon has passed;
//! - never touched: a batch at or past the cleanable end (the newest batch, the last stable
//!   offset, min.compaction.lag.ms), and each producer's recent batches, which hold the sequence
//!   state that deduplicates its retries. Kafka keeps only each producer's last batch, because
//!   its producer-state snapshots remember the last five; here recovery rebuilds that state from
//!   the rows themselves, so the last five (`PRODUCER_BATCHES_KEPT`) stay until the producer id
//!   expires. Aborted records and superseded values in them go once they are older.

use std::collections::HashMap;

use crate::log::AbortedTxn;
use crate::protocol::batch::Record;
use crate::store::BatchMeta;

/// Bytes counted per key in the offset map besides the key itself.
pub const MAP_ENTRY_OVERHEAD: usize = 48;

/// Key -> offset of its latest record in the dirty section, bounded in bytes.
#[derive(Debug, Default)]
pub struct OffsetMap {
    latest: HashMap<Vec<u8>, i64>,
    bytes: usize,
    budget: usize,
}

impl OffsetMap {
    pub fn new(budget: usize) -> Self {
        OffsetMap {
            latest: HashMap::new(),
            bytes: 0,
            budget,
        }
    }

    /// Take in the records of one batch (keyed ones that are not aborted); false, with nothing
    /// taken, when they would not fit the budget.
    pub fn add_batch(&mut self, records: &[Record], aborted: bool) -> bool {
        if aborted {
            return true;
        }
        let new: usize = records
            .iter()
            .filter_map(|r| r.key.as_ref())
            .filter(|k| !self.latest.contains_key(*k))
            .map(|k| k.len() + MAP_ENTRY_OVERHEAD)
            .sum();
        if self.bytes + new > self.budget && !self.latest.is_empty() {
            return false;
        }
        for r in records {
            if let Some(k) = &r.key {
                if !self.latest.contains_key(k) {
                    self.bytes += k.len() + MAP_ENTRY_OVERHEAD;
                }
                self.latest.insert(k.clone(), r.offset);
            }
        }
        true
    }

    /// Whether `r` is the latest record of its key (a key the map has not seen is only in the
    /// section cleaned before, where it appears once).
    pub fn is_latest(&self, r: &Record) -> bool {
        match &r.key {
            None => false,
            Some(k) => self.latest.get(k).is_none_or(|&o| o == r.offset),
        }
    }

    pub fn len(&self) -> usize {
        self.latest.len()
    }

    pub fn is_empty(&self) -> bool {
        self.latest.is_empty()
    }
}

/// Whether a batch of producer `pid` at `base_offset` belongs to an aborted transaction.
pub fn is_aborted(aborted: &[AbortedTxn], pid: i64, base_offset: i64) -> bool {
    aborted.iter().any(|a| {
        a.producer_id == pid && a.first_offset <= base_offset && base_offset <= a.last_offset
    })
}

/// What becomes of one batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Fate {
    Keep,
    /// Kept, and its delete horizon is set now (it holds a tombstone or is a marker).
    KeepWithHorizon,
    /// Rebuilt from these records.
    Rebuild(Vec<Record>),
    Remove,
}

/// The fate of a data batch (not a marker) with `records`, given the map and the time.
pub fn data_batch(
    meta: &BatchMeta,
    records: Vec<Record>,
    map: &OffsetMap,
    aborted: bool,
    now_ms: i64,
) -> Fate {
    if aborted {
        return Fate::Remove;
    }
    let horizon_passed = meta.delete_horizon_ms.is_some_and(|h| h <= now_ms);
    let total = records.len();
    let kept: Vec<Record> = records
        .into_iter()
        .filter(|r| map.is_latest(r) && !(r.value.is_none() && horizon_passed))
        .collect();
    let tombstones = kept.iter().any(|r| r.value.is_none());
    if kept.is_empty() {
        Fate::Remove
    } else if kept.len() == total {
        if tombstones && meta.delete_horizon_ms.is_none() {
            Fate::KeepWithHorizon
        } else {
            Fate::Keep
        }
    } else {
        Fate::Rebuild(kept)
    }
}

/// The fate of a transaction marker.
pub fn marker(meta: &BatchMeta, now_ms: i64) -> Fate {
    match meta.delete_horizon_ms {
        None => Fate::KeepWithHorizon,
        Some(h) if h <= now_ms => Fate::Remove,
        Some(_) => Fate::Keep,
    }
}
