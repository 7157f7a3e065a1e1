//! In-memory partition logs: the committed tail of every partition, served to readers directly.
//!
//! Owns: [`Batch`] (one stored RecordBatch and its columns), [`PartitionLog`] (one partition's
//! window of committed batches, its high watermark and log start, and the publish notification),
//! [`Registry`] (the topics this broker knows), [`Cache`] (the byte budget all windows share) and
//! [`configs`] (the topic-config model).
//!
//! Invariants: only the writer (the worker's main thread, after COMMIT) publishes; readers never
//! see a batch that is not committed; high watermark and log start never move backwards; what is
//! cached across all partitions stays within the configured budget, overshooting it only by the
//! commit being published.

mod cache;
pub mod configs;
mod partition;
mod registry;

#[cfg(test)]
mod tests;

pub use cache::{Cache, BATCH_OVERHEAD};
pub use partition::{AbortedTxn, Batch, PartitionLog, ReadResult, Stored, TxnEnd};
pub use registry::{Registry, Topic};
