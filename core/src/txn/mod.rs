//! Producer and transaction state: producer ids and epochs, the recent batches of every
//! (producer, partition) for sequence checks, and the transaction coordinator's table.
//!
//! Owns: [`Producers`], the one table of this state, shared through the [`crate::log::Registry`].
//! Only the writer changes it, and only after the store committed the change (the writer stages
//! changes on copies and applies them after COMMIT); handlers read it for the Describe APIs.
//! Must not touch: the store or the partition logs (the writer publishes those).
//!
//! Invariants: a producer id is never handed out twice (the next id is above every stored one);
//! an epoch only grows; a (producer, partition) remembers at most [`PRODUCER_BATCHES_KEPT`]
//! batches, all of the producer's current epoch on that partition.

mod sequence;
mod table;

#[cfg(test)]
mod tests;

pub use sequence::{check_sequence, SeqOutcome};
pub use table::{PartitionSeqs, ProducerEntry, SeqBatch, Table, Txn, TxnState};

use std::sync::{Mutex, MutexGuard};

pub use crate::store::PRODUCER_BATCHES_KEPT;

/// The shared producer/transaction table.
#[derive(Debug, Default)]
pub struct Producers {
    table: Mutex<Table>,
}

impl Producers {
    pub fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }
}
