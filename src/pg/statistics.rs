//! Planner statistics for kafka.batches, checked once at worker start.
//!
//! The worker reads batches of one partition in `base_offset` order a chunk at a time (recovery
//! tails, fetches below the memory window), which needs the primary-key index. Without column
//! statistics on kafka.batches (never analyzed: a new installation loaded quickly, a pg_upgrade,
//! or a crash loop that keeps discarding autovacuum's counters before its first analyze) Postgres
//! estimates a couple of matching rows and sorts the whole partition for every chunk instead.
//! Measured on the crash harness's cluster: 94k batches, recovery 42 s without statistics, 0.6 s
//! after ANALYZE (which took 89 ms). So the worker analyzes the table when it has none.

use pgrx::prelude::*;

use super::txn;

/// Analyze kafka.batches if it has rows and no statistics; returns the milliseconds it took, or
/// None when nothing was needed. Errors are returned, not raised: serving without statistics is
/// slower, not wrong.
pub(crate) fn ensure() -> Result<Option<u128>, String> {
    let missing = txn::run(|| {
        Spi::get_one::<bool>(
            "SELECT EXISTS (SELECT 1 FROM kafka.batches)
                AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_statistic
                                 WHERE starelid = 'kafka.batches'::regclass)",
        )
    })?
    .unwrap_or(false);
    if !missing {
        return Ok(None);
    }
    let started = std::time::Instant::now();
    txn::run(|| Spi::run("ANALYZE kafka.batches"))?;
    Ok(Some(started.elapsed().as_millis()))
}
