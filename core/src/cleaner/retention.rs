//! Retention's decision, free of I/O: how far the log start moves for `retention.ms` and
//! `retention.bytes`, scanning batches from the oldest.
//!
//! Kafka's rules with batches for segments: whole batches go, oldest first, while the batch's max
//! timestamp is older than now less retention.ms (a batch with a timestamp in the future stops
//! the scan, as a segment with one does in Kafka), or while the partition holds more than
//! retention.bytes. -1 turns either off. The log start moves to the end of the last batch that
//! goes; the high watermark never moves.

use crate::store::BatchMeta;

/// A scan in progress over one partition's batches.
#[derive(Debug, Clone, PartialEq)]
pub struct RetentionScan {
    /// Batches with a max timestamp below this are expired (`None`: no time retention).
    cutoff_ms: Option<i64>,
    /// Bytes that must go for the size limit.
    excess: i64,
    dropped: i64,
    /// The log start so far: the end of the last batch that goes.
    pub cut: i64,
    done: bool,
}

impl RetentionScan {
    /// A scan of a partition starting at `log_start` that holds `live_bytes`; `None` when its
    /// settings keep everything.
    pub fn new(
        now_ms: i64,
        retention_ms: i64,
        retention_bytes: i64,
        live_bytes: i64,
        log_start: i64,
    ) -> Option<Self> {
        let cutoff_ms = (retention_ms >= 0).then(|| now_ms.saturating_sub(retention_ms));
        let excess = if retention_bytes >= 0 {
            (live_bytes - retention_bytes).max(0)
        } else {
            0
        };
        (cutoff_ms.is_some() || excess > 0).then_some(RetentionScan {
            cutoff_ms,
            excess,
            dropped: 0,
            cut: log_start,
            done: false,
        })
    }

    /// Look at the next batch (in offset order, at or past the log start); false once the scan
    /// has found the first batch that stays.
    pub fn feed(&mut self, m: &BatchMeta) -> bool {
        if self.done {
            return false;
        }
        let expired = self.cutoff_ms.is_some_and(|c| m.max_timestamp < c);
        let over_size = self.dropped < self.excess;
        if !(expired || over_size) {
            self.done = true;
            return false;
        }
        self.dropped += m.size as i64;
        self.cut = self.cut.max(m.last_offset + 1);
        true
    }

    /// Whether the scan has found the first batch that stays.
    pub fn finished(&self) -> bool {
        self.done
    }
}
