//! The log cache's one byte budget across all partitions (`pg_kafka.log_cache_size`).
//!
//! Owns the total cost of every cached batch (its bytes plus `BATCH_OVERHEAD` for the
//! bookkeeping around it, so a flood of tiny batches cannot hide its memory) and the queue of
//! published runs (one per partition per publish) in publish order. When the total passes the
//! budget, the oldest runs are evicted first, whichever partition holds them: one busy partition
//! may use the whole cache, and a thousand partitions cannot each keep a batch beyond it. A run
//! is evicted a batch at a time from the front of its partition's window, so every window stays a
//! suffix of its log and a busy partition loses only as much as the budget needs.
//!
//! Partition logs report every change to what they hold (publish, eviction, log start moves,
//! being dropped with their topic), so the total is exact without walking the partitions.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

use super::partition::PartitionLog;

/// Memory counted for each cached batch besides its bytes: its slot in the window, the shared
/// header of its `Bytes`, allocator headers and its share of a run entry.
pub const BATCH_OVERHEAD: usize = 192;

/// A run of batches published together on one partition, ending at `through`.
struct Run {
    log: Weak<PartitionLog>,
    through: i64,
}

#[derive(Debug)]
pub struct Cache {
    budget: usize,
    total: AtomicUsize,
    /// Cost removed since `take_released` last looked (for giving memory back to the system).
    released: AtomicUsize,
    runs: Mutex<VecDeque<Run>>,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Run(through {})", self.through)
    }
}

impl Cache {
    pub fn new(budget: usize) -> Arc<Cache> {
        Arc::new(Cache {
            budget,
            total: AtomicUsize::new(0),
            released: AtomicUsize::new(0),
            runs: Mutex::new(VecDeque::new()),
        })
    }

    /// A cache that never evicts (logs built on their own, in tests).
    pub fn unbounded() -> Arc<Cache> {
        Cache::new(usize::MAX)
    }

    pub fn budget(&self) -> usize {
        self.budget
    }

    /// The cost of everything cached, overhead included.
    pub fn total(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }

    pub(super) fn add(&self, cost: usize) {
        self.total.fetch_add(cost, Ordering::Relaxed);
    }

    pub(super) fn remove(&self, cost: usize) {
        self.total.fetch_sub(cost, Ordering::Relaxed);
        self.released.fetch_add(cost, Ordering::Relaxed);
    }

    /// The cost removed (evicted, deleted, below a moved log start) since `take_released`.
    pub fn released(&self) -> usize {
        self.released.load(Ordering::Relaxed)
    }

    /// `released`, starting the count again.
    pub fn take_released(&self) -> usize {
        self.released.swap(0, Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Run>> {
        self.runs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queue the run `log` just published, ending at `through`, then evict the oldest runs until
    /// the total is within the budget (writer only, with no window locked).
    pub(super) fn published(&self, log: &Arc<PartitionLog>, through: i64) {
        let mut runs = self.lock();
        match runs.back_mut() {
            // Consecutive publishes on one partition are one run.
            Some(last) if Weak::as_ptr(&last.log) == Arc::as_ptr(log) => last.through = through,
            _ => runs.push_back(Run {
                log: Arc::downgrade(log),
                through,
            }),
        }
        // Oldest first, one batch at a time: a run is dropped from the queue once its partition
        // holds nothing at or below its end (evicted, below a moved log start, or deleted).
        while self.total() > self.budget {
            let Some(run) = runs.front() else { break };
            let evicted = run
                .log
                .upgrade()
                .is_some_and(|log| log.evict_oldest(run.through));
            if !evicted {
                runs.pop_front();
            }
        }
    }
}

/// The cost of a batch of `len` bytes in the cache.
pub(super) fn cost(len: usize) -> usize {
    len + BATCH_OVERHEAD
}
