//! `kafka.run_cleaner()`: one full log-cleaner pass now, run by the worker, and what it did.
//!
//! Owns the SQL function and the report's columns; the pass itself runs in the worker (see
//! `pg_kafka_core::cleaner`), asked for through shared memory (`shmem::run_cleaner`).

use pgrx::prelude::*;

use super::shmem;

/// Run one full pass of retention and compaction over every partition and wait for it. Every
/// compacted partition with anything to compact is compacted, whatever its dirty ratio.
#[pg_extern(volatile)]
#[allow(clippy::type_complexity)]
fn run_cleaner() -> TableIterator<
    'static,
    (
        name!(partitions, i64),
        name!(bytes_examined, i64),
        name!(batches_removed, i64),
        name!(bytes_removed, i64),
        name!(batches_rewritten, i64),
        name!(rewritten_bytes_before, i64),
        name!(rewritten_bytes_after, i64),
        name!(log_starts_moved, i64),
        name!(errors, i64),
        name!(duration_ms, i64),
    ),
> {
    let r = match shmem::run_cleaner() {
        Ok(r) => r.map(|v| v.min(i64::MAX as u64) as i64),
        Err(e) => error!("pg_kafka: run_cleaner: {e}"),
    };
    TableIterator::once((r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9]))
}
