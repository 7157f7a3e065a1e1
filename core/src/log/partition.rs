//! One partition's in-memory log: a window of the most recent committed batches.
//!
//! The window is a suffix of the log: it ends at the high watermark and starts wherever eviction
//! left it. Reads below the window are answered by the store, not here.
//!
//! Transactions: the log also knows its open transactions (producer id → first offset) and its
//! aborted ones (the index read-committed Fetch returns). The last stable offset is the first
//! offset of the earliest open transaction, else the high watermark; it never moves backwards
//! because a transaction's first batch is appended at the high watermark, which is ≥ it.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use tokio::sync::watch;

use super::cache::{cost, Cache};

/// One RecordBatch as stored: verbatim bytes with the base offset stamped in, plus its columns.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    pub base_offset: i64,
    pub last_offset: i64,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub record_count: i32,
    pub attributes: i16,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub bytes: Bytes,
}

/// What a read from memory found.
#[derive(Debug, PartialEq)]
pub enum ReadResult {
    /// Whole batches starting with the one that holds the offset (empty at the high watermark).
    Batches(Vec<Batch>),
    /// The offset is committed but older than the window: read it from the store.
    BelowWindow,
    /// The offset is outside [log_start_offset, high_watermark].
    OutOfRange,
}

/// An aborted transaction on this partition: producer, first offset, offset of its marker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AbortedTxn {
    pub producer_id: i64,
    pub first_offset: i64,
    pub last_offset: i64,
}

/// How a transaction ended on this partition, published with its marker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TxnEnd {
    pub producer_id: i64,
    /// The aborted range, for an abort of a transaction that wrote here.
    pub aborted: Option<AbortedTxn>,
}

#[derive(Debug)]
struct Window {
    log_start_offset: i64,
    high_watermark: i64,
    batches: VecDeque<Batch>,
    bytes: usize,
    /// Open transactions: producer id → first offset.
    ongoing: BTreeMap<i64, i64>,
    /// Aborted transactions, in marker order.
    aborted: Vec<AbortedTxn>,
    /// What the store holds for this partition, and how far compaction got (see `PartitionRow`).
    stored: Stored,
}

/// A partition's stored bytes and batches, and its compaction checkpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stored {
    pub bytes: i64,
    pub batches: i64,
    /// Every batch below this offset was compacted...
    pub cleaned_offset: i64,
    /// ...last at this time (ms).
    pub cleaned_at_ms: Option<i64>,
}

impl Window {
    fn last_stable_offset(&self) -> i64 {
        self.ongoing
            .values()
            .copied()
            .min()
            .map_or(self.high_watermark, |f| f.min(self.high_watermark))
    }
}

/// A partition's committed tail. Many readers, one writer.
#[derive(Debug)]
pub struct PartitionLog {
    window: RwLock<Window>,
    published: watch::Sender<i64>,
    /// The budget shared with every other partition; told of every batch added or removed.
    cache: Arc<Cache>,
}

impl Drop for PartitionLog {
    fn drop(&mut self) {
        let w = self.window.get_mut().unwrap_or_else(|e| e.into_inner());
        self.cache.remove(w.bytes + w.batches.len() * cost(0));
    }
}

impl PartitionLog {
    /// A log whose committed state is `log_start_offset..high_watermark`, with `tail` (ascending,
    /// ending at the high watermark) cached, on its own cache that never evicts (tests).
    pub fn new(log_start_offset: i64, high_watermark: i64, tail: Vec<Batch>) -> Self {
        Self::in_cache(&Cache::unbounded(), log_start_offset, high_watermark, tail)
    }

    /// `new`, counted in `cache`. Its tail is not queued for eviction (see `Registry::adopt`).
    pub fn in_cache(
        cache: &Arc<Cache>,
        log_start_offset: i64,
        high_watermark: i64,
        tail: Vec<Batch>,
    ) -> Self {
        let bytes = tail.iter().map(|b| b.bytes.len()).sum();
        cache.add(bytes + tail.len() * cost(0));
        let (published, _) = watch::channel(high_watermark);
        PartitionLog {
            cache: cache.clone(),
            window: RwLock::new(Window {
                log_start_offset,
                high_watermark,
                batches: tail.into(),
                bytes,
                ongoing: BTreeMap::new(),
                aborted: Vec::new(),
                stored: Stored::default(),
            }),
            published,
        }
    }

    fn read_window(&self) -> std::sync::RwLockReadGuard<'_, Window> {
        self.window.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_window(&self) -> std::sync::RwLockWriteGuard<'_, Window> {
        self.window.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn high_watermark(&self) -> i64 {
        self.read_window().high_watermark
    }

    /// The first offset of the earliest open transaction, else the high watermark.
    pub fn last_stable_offset(&self) -> i64 {
        self.read_window().last_stable_offset()
    }

    /// Restore transaction state at recovery: open transactions and the aborted index.
    pub fn restore_txns(&self, ongoing: Vec<(i64, i64)>, mut aborted: Vec<AbortedTxn>) {
        let mut w = self.write_window();
        w.ongoing.extend(ongoing);
        aborted.sort_by_key(|a| a.last_offset);
        w.aborted = aborted;
    }

    /// Aborted transactions overlapping `from..=to`, as (producer id, first offset).
    pub fn aborted_between(&self, from: i64, to: i64) -> Vec<(i64, i64)> {
        let w = self.read_window();
        let start = w.aborted.partition_point(|a| a.last_offset < from);
        w.aborted[start..]
            .iter()
            .filter(|a| a.first_offset <= to)
            .map(|a| (a.producer_id, a.first_offset))
            .collect()
    }

    /// Aborted transactions overlapping `from..=to`, whole.
    pub fn aborted_txns_between(&self, from: i64, to: i64) -> Vec<AbortedTxn> {
        let w = self.read_window();
        let start = w.aborted.partition_point(|a| a.last_offset < from);
        w.aborted[start..]
            .iter()
            .filter(|a| a.first_offset <= to)
            .copied()
            .collect()
    }

    pub fn log_start_offset(&self) -> i64 {
        self.read_window().log_start_offset
    }

    /// What the store holds and how far compaction got.
    pub fn stored(&self) -> Stored {
        self.read_window().stored
    }

    /// Set what the store holds (recovery, and the writer after a cleaner step commits).
    pub fn set_stored(&self, stored: Stored) {
        self.write_window().stored = stored;
    }

    /// Bytes of batches held in memory.
    pub fn cached_bytes(&self) -> usize {
        self.read_window().bytes
    }

    /// The first offset held in memory, if any batch is.
    pub fn window_start(&self) -> Option<i64> {
        self.read_window().batches.front().map(|b| b.base_offset)
    }

    /// Batches from the one holding `offset`, adding whole batches while the total stays within
    /// `max_bytes`; the first batch is returned whatever its size.
    pub fn read(&self, offset: i64, max_bytes: usize) -> ReadResult {
        self.read_below(offset, max_bytes, i64::MAX)
    }

    /// `read`, leaving out batches that start at or after `limit` (the last stable offset for
    /// read-committed readers).
    pub fn read_below(&self, offset: i64, max_bytes: usize, limit: i64) -> ReadResult {
        let w = self.read_window();
        if offset < w.log_start_offset || offset > w.high_watermark {
            return ReadResult::OutOfRange;
        }
        if offset == w.high_watermark {
            return ReadResult::Batches(Vec::new());
        }
        match w.batches.front() {
            Some(first) if first.base_offset <= offset => {}
            _ => return ReadResult::BelowWindow,
        }
        let start = w.batches.partition_point(|b| b.last_offset < offset);
        let mut out = Vec::new();
        let mut total = 0usize;
        for b in w.batches.range(start..) {
            if b.base_offset >= limit {
                break;
            }
            if !out.is_empty() && total + b.bytes.len() > max_bytes {
                break;
            }
            total += b.bytes.len();
            out.push(b.clone());
        }
        ReadResult::Batches(out)
    }

    /// The cached batches overlapping `from..` (used for timestamp lookups when the window covers
    /// the whole log).
    pub fn cached_batches(&self) -> Vec<Batch> {
        self.read_window().batches.iter().cloned().collect()
    }

    /// True when every committed batch is in memory.
    pub fn window_covers_log(&self) -> bool {
        let w = self.read_window();
        match w.batches.front() {
            Some(first) => first.base_offset <= w.log_start_offset,
            None => w.log_start_offset == w.high_watermark,
        }
    }

    /// Publish committed batches (writer only, after COMMIT). Moves the high watermark to the
    /// end of the last batch and wakes waiting readers; then the cache evicts, oldest first
    /// across all partitions, what its budget no longer holds. Returns the bytes added.
    pub fn publish(self: &Arc<Self>, batches: Vec<Batch>) -> usize {
        self.publish_txn(batches, &[], &[])
    }

    /// `publish`, also opening transactions (producer id, first offset) and ending them, under
    /// the same lock as the high watermark moves, so no reader sees the data without its state.
    pub fn publish_txn(
        self: &Arc<Self>,
        batches: Vec<Batch>,
        begins: &[(i64, i64)],
        ends: &[TxnEnd],
    ) -> usize {
        let (added, hw) = {
            let mut w = self.write_window();
            for &(pid, first) in begins {
                w.ongoing.entry(pid).or_insert(first);
            }
            for e in ends {
                w.ongoing.remove(&e.producer_id);
                if let Some(a) = e.aborted {
                    w.aborted.push(a);
                }
            }
            let mut added = 0;
            for b in batches {
                debug_assert_eq!(b.base_offset, w.high_watermark);
                if b.last_offset < w.high_watermark {
                    continue;
                }
                w.high_watermark = b.last_offset + 1;
                added += b.bytes.len();
                w.bytes += b.bytes.len();
                w.stored.bytes += b.bytes.len() as i64;
                w.stored.batches += 1;
                self.cache.add(cost(b.bytes.len()));
                w.batches.push_back(b);
            }
            (added, w.high_watermark)
        };
        self.published.send_replace(hw);
        if added > 0 {
            self.cache.published(self, hw - 1);
        }
        added
    }

    /// Apply a committed cleaner step to the cached window: batches at `removed` base offsets
    /// leave it, `replaced` ones take the place of the batch at their base offset (if cached).
    pub fn apply_clean(&self, removed: &[i64], replaced: &[Batch]) {
        let removed: std::collections::HashSet<i64> = removed.iter().copied().collect();
        let mut w = self.write_window();
        let (mut freed, mut added, mut gone) = (0usize, 0usize, 0usize);
        w.batches.retain(|b| {
            if removed.contains(&b.base_offset) {
                freed += b.bytes.len();
                gone += 1;
                false
            } else {
                true
            }
        });
        for r in replaced {
            let at = w.batches.partition_point(|b| b.base_offset < r.base_offset);
            if let Some(slot) = w
                .batches
                .get_mut(at)
                .filter(|b| b.base_offset == r.base_offset)
            {
                freed += slot.bytes.len();
                added += r.bytes.len();
                *slot = r.clone();
            }
        }
        w.bytes = w.bytes + added - freed;
        drop(w);
        self.cache.remove(freed + gone * cost(0));
        self.cache.add(added);
    }

    /// Queue a tail built by recovery for eviction, as if it had just been published.
    pub fn queue_tail(self: &Arc<Self>) {
        let last = self.read_window().batches.back().map(|b| b.last_offset);
        if let Some(last) = last {
            self.cache.published(self, last);
        }
    }

    /// Evict the oldest cached batch if it ends at or below `through`; false when there is none.
    pub(super) fn evict_oldest(&self, through: i64) -> bool {
        let mut w = self.write_window();
        match w.batches.front() {
            Some(first) if first.last_offset <= through => {}
            _ => return false,
        }
        let Some(b) = w.batches.pop_front() else {
            return false;
        };
        w.bytes -= b.bytes.len();
        self.cache.remove(cost(b.bytes.len()));
        true
    }

    /// Move the log start forward (never backwards); batches wholly below it leave the window.
    pub fn advance_log_start(&self, offset: i64) -> usize {
        let mut w = self.write_window();
        if offset <= w.log_start_offset {
            return 0;
        }
        w.log_start_offset = offset.min(w.high_watermark);
        // Aborted transactions wholly below the log start can no longer overlap a read.
        let start = w.log_start_offset;
        w.aborted.retain(|a| a.last_offset >= start);
        let mut freed = 0;
        while let Some(first) = w.batches.front() {
            if first.last_offset >= w.log_start_offset {
                break;
            }
            freed += first.bytes.len();
            self.cache.remove(cost(first.bytes.len()));
            w.batches.pop_front();
        }
        w.bytes -= freed;
        freed
    }

    /// A receiver that changes whenever the high watermark moves (long-poll Fetch waits on it).
    pub fn subscribe(&self) -> watch::Receiver<i64> {
        self.published.subscribe()
    }
}
