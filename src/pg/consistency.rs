//! `kafka.check_consistency()`: compares the worker's in-memory partition state with the committed
//! tables and returns one row per difference (no rows: consistent).
//!
//! The worker's side comes from its shared-memory view (see `shmem`): high watermark and log
//! start of every partition, compared with `kafka.partitions` (`next_offset`, `log_start_offset`)
//! and with the end of the last stored batch (`last_offset + 1`) of each partition.
//!
//! Memory is read first, the tables after (each statement takes a fresh snapshot): since the worker
//! publishes only what is committed, a difference seen on an idle broker is real; under load a
//! partition may show `memory < stored` for a commit that landed in between. Waiting for the view
//! has a timeout, and failures are Postgres ERRORs, never panics. Owns nothing; writes nothing.

use std::collections::BTreeMap;
use std::time::Duration;

use pgrx::prelude::*;

use super::shmem;
use super::store::to_uuid;

/// How long the backend waits for the worker to write its view.
const VIEW_TIMEOUT: Duration = Duration::from_secs(10);

/// (topic id, partition); rows show the topic's name.
type Key = (uuid::Uuid, i32);

#[derive(Default, Clone, Copy)]
struct MemoryOffsets {
    log_start: Option<i64>,
    high_watermark: Option<i64>,
}

struct StoredOffsets {
    name: String,
    next_offset: i64,
    log_start: i64,
    batches_end: Option<i64>,
}

type Row = (String, i32, String, Option<i64>, Option<i64>);

/// Differences between the worker's memory and the committed tables; empty when consistent.
#[pg_extern(volatile)]
#[allow(clippy::type_complexity)]
fn check_consistency() -> TableIterator<
    'static,
    (
        name!(topic, String),
        name!(partition, i32),
        name!(what, String),
        name!(memory, Option<i64>),
        name!(stored, Option<i64>),
    ),
> {
    let memory = match read_memory() {
        Ok(m) => m,
        Err(e) => error!("pg_kafka: check_consistency: {e}"),
    };
    let stored = match read_stored() {
        Ok(s) => s,
        Err(e) => error!("pg_kafka: check_consistency: cannot read the tables: {e}"),
    };
    TableIterator::new(compare(&memory, &stored))
}

/// The worker's view of every partition, from shared memory.
fn read_memory() -> Result<BTreeMap<Key, MemoryOffsets>, String> {
    let (view, complete) = shmem::snapshot(VIEW_TIMEOUT)?;
    if !complete {
        return Err("the worker holds more partitions than pg_kafka.max_partitions".into());
    }
    Ok(view
        .into_iter()
        .map(|p| {
            let key = (uuid::Uuid::from_bytes(p.topic_id), p.partition);
            let offsets = MemoryOffsets {
                log_start: Some(p.log_start_offset),
                high_watermark: Some(p.high_watermark),
            };
            (key, offsets)
        })
        .collect())
}

fn compare(
    memory: &BTreeMap<Key, MemoryOffsets>,
    stored: &BTreeMap<Key, StoredOffsets>,
) -> Vec<Row> {
    let mut out = Vec::new();
    let name = |k: &Key| {
        stored
            .get(k)
            .map_or_else(|| k.0.to_string(), |s| s.name.clone())
    };
    let mut diff = |k: &Key, what: &str, m: Option<i64>, s: Option<i64>| {
        if m != s {
            out.push((name(k), k.1, what.to_string(), m, s));
        }
    };
    for (k, m) in memory {
        match stored.get(k) {
            None => diff(
                k,
                "partition missing from kafka.partitions",
                m.high_watermark,
                None,
            ),
            Some(s) => {
                diff(k, "high_watermark", m.high_watermark, Some(s.next_offset));
                diff(k, "log_start_offset", m.log_start, Some(s.log_start));
                // Without batches the log is empty only if it starts at its end.
                let end = s
                    .batches_end
                    .or((s.log_start == s.next_offset).then_some(s.next_offset));
                diff(k, "last stored batch end", m.high_watermark, end);
            }
        }
    }
    for (k, s) in stored {
        if !memory.contains_key(k) {
            diff(
                k,
                "partition missing from memory",
                None,
                Some(s.next_offset),
            );
        }
    }
    out
}

fn read_stored() -> Result<BTreeMap<Key, StoredOffsets>, pgrx::spi::Error> {
    Spi::connect(|client| {
        let mut out = BTreeMap::new();
        for row in client.select(query!("consistency_partitions"), None, &[])? {
            let id = row.get::<pgrx::Uuid>(1)?.map(to_uuid).unwrap_or_default();
            let key = (id, row.get::<i32>(3)?.unwrap_or_default());
            out.insert(
                key,
                StoredOffsets {
                    name: row.get::<String>(2)?.unwrap_or_default(),
                    next_offset: row.get::<i64>(4)?.unwrap_or_default(),
                    log_start: row.get::<i64>(5)?.unwrap_or_default(),
                    batches_end: row.get::<i64>(6)?,
                },
            );
        }
        Ok(out)
    })
}
