//! `kafka.partition_memory()`: what the worker holds in memory for every partition (offsets and
//! cached bytes), read from the shared-memory view (see `shmem`), named by topic.
//!
//! Owns nothing; reads the view and `kafka.topics`.

use std::collections::HashMap;
use std::time::Duration;

use pgrx::prelude::*;

use super::shmem;
use super::store::to_uuid;

/// How long the backend waits for the worker to write its view.
const VIEW_TIMEOUT: Duration = Duration::from_secs(10);

/// One row per partition the worker holds: its offsets and the bytes of its batches in the log
/// cache.
#[pg_extern(volatile)]
#[allow(clippy::type_complexity)]
fn partition_memory() -> TableIterator<
    'static,
    (
        name!(topic, String),
        name!(partition, i32),
        name!(log_start_offset, i64),
        name!(high_watermark, i64),
        name!(last_stable_offset, i64),
        name!(cached_bytes, i64),
    ),
> {
    let view = match shmem::snapshot(VIEW_TIMEOUT) {
        Ok((v, _)) => v,
        Err(e) => error!("pg_kafka: partition_memory: {e}"),
    };
    let names: HashMap<uuid::Uuid, String> = match Spi::connect(|c| {
        c.select("SELECT topic_id, name FROM kafka.topics", None, &[])?
            .map(|r| {
                Ok((
                    r.get::<pgrx::Uuid>(1)?.map(to_uuid).unwrap_or_default(),
                    r.get::<String>(2)?.unwrap_or_default(),
                ))
            })
            .collect::<Result<_, pgrx::spi::Error>>()
    }) {
        Ok(n) => n,
        Err(e) => error!("pg_kafka: partition_memory: cannot read kafka.topics: {e}"),
    };
    let rows: Vec<_> = view
        .into_iter()
        .map(|p| {
            let id = uuid::Uuid::from_bytes(p.topic_id);
            let topic = names.get(&id).cloned().unwrap_or_else(|| id.to_string());
            (
                topic,
                p.partition,
                p.log_start_offset,
                p.high_watermark,
                p.last_stable_offset,
                p.cached_bytes,
            )
        })
        .collect();
    TableIterator::new(rows)
}
