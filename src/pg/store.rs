//! The durable store on the kafka tables, through SPI, for the worker's main thread.
//!
//! Every call is its own transaction (see `txn`). Writes are set-based: one INSERT of all batches
//! of a group commit through unnest() of arrays, one UPDATE of all touched partition heads, never
//! a statement per record. Reads fetch at most `CHUNK_ROWS` batches at a time (per cursor fetch for
//! the recovery tails), or what fits in the read's byte budget (Fetch below the log cache), so a
//! large read holds neither much memory at once nor the writer's thread for long, and no batch is
//! read from TOAST only to be thrown away.

use std::collections::BTreeMap;

use bytes::Bytes;
use pg_kafka_core::acl::{AclBinding, AclFilter, AclState};
use pg_kafka_core::log::Batch;
use pg_kafka_core::store::MAX_ACL_BINDINGS;
use pg_kafka_core::store::{PartitionRow, Snapshot, Store, StoreError, TopicRow, WriteSet};
use pgrx::datum::DatumWithOid;
use pgrx::prelude::*;
use pgrx::spi::{SpiClient, SpiResult, SpiTupleTable};

use super::bytea_array::ByteaArray;
use super::{plans, store_acls, store_cleaner, store_groups, store_producers, store_roles, txn};

/// Batches fetched per statement by chunked reads.
const CHUNK_ROWS: i64 = 16;
/// Most batches one byte-bounded read statement returns (tiny batches: a 1 MiB read of 100 B
/// batches takes several statements rather than one huge result).
const WITHIN_ROWS: i64 = 1000;

/// The SPI store. Stateless: all state is in the tables.
pub struct SpiStore;

pub(crate) fn uuid(u: &uuid::Uuid) -> pgrx::Uuid {
    pgrx::Uuid::from_bytes(*u.as_bytes())
}

pub(crate) fn to_uuid(u: pgrx::Uuid) -> uuid::Uuid {
    uuid::Uuid::from_bytes(*u.as_bytes())
}

/// Run `f` atomically; a Postgres ERROR or an SPI error both roll it back and become a
/// StoreError.
fn in_txn<R>(f: impl FnOnce() -> SpiResult<R>) -> Result<R, StoreError> {
    txn::run(f).map_err(StoreError)
}

fn batches(table: SpiTupleTable<'_>) -> SpiResult<Vec<Batch>> {
    let mut out = Vec::new();
    for row in table {
        out.push(Batch {
            base_offset: row.get::<i64>(1)?.unwrap_or_default(),
            last_offset: row.get::<i64>(2)?.unwrap_or_default(),
            base_timestamp: row.get::<i64>(3)?.unwrap_or_default(),
            max_timestamp: row.get::<i64>(4)?.unwrap_or_default(),
            record_count: row.get::<i32>(5)?.unwrap_or_default(),
            attributes: row.get::<i16>(6)?.unwrap_or_default(),
            producer_id: row.get::<i64>(7)?.unwrap_or(-1),
            producer_epoch: row.get::<i16>(8)?.unwrap_or(-1),
            base_sequence: row.get::<i32>(9)?.unwrap_or(-1),
            bytes: Bytes::from(row.get::<Vec<u8>>(10)?.unwrap_or_default()),
        });
    }
    Ok(out)
}

/// Free the tuple table of the last fetch once `batches` has copied it: SPI keeps every result
/// until the connection ends, which would hold a second copy of a whole recovered tail.
fn free_fetched() {
    // SAFETY: main thread inside an SPI connection; SPI_tuptable is the last result (or null),
    // and nothing refers to it any more: `batches` consumed its table and copied every value.
    unsafe {
        if !pgrx::pg_sys::SPI_tuptable.is_null() {
            pgrx::pg_sys::SPI_freetuptable(pgrx::pg_sys::SPI_tuptable);
            pgrx::pg_sys::SPI_tuptable = std::ptr::null_mut();
        }
    }
}

/// Write a whole write set inside the current transaction.
pub(crate) fn write(client: &mut SpiClient<'_>, ws: &WriteSet) -> SpiResult<()> {
    for t in &ws.create_topics {
        let (keys, values): (Vec<String>, Vec<String>) = t
            .configs
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .unzip();
        let args: [DatumWithOid; 5] = [
            uuid(&t.id).into(),
            t.name.clone().into(),
            t.partitions.into(),
            keys.into(),
            values.into(),
        ];
        client.update(query!("insert_topic"), None, &args)?;
        let args: [DatumWithOid; 3] = [uuid(&t.id).into(), 0i32.into(), t.partitions.into()];
        client.update(query!("insert_partitions"), None, &args)?;
    }
    for (id, configs) in &ws.topic_configs {
        let (keys, values): (Vec<String>, Vec<String>) =
            configs.iter().map(|(k, v)| (k.clone(), v.clone())).unzip();
        let args: [DatumWithOid; 3] = [uuid(id).into(), keys.into(), values.into()];
        client.update(query!("set_topic_configs"), None, &args)?;
    }
    if !ws.delete_topics.is_empty() {
        let ids: Vec<pgrx::Uuid> = ws.delete_topics.iter().map(uuid).collect();
        let args: [DatumWithOid; 1] = [ids.clone().into()];
        client.update(query!("delete_topic_batches"), None, &args)?;
        let args: [DatumWithOid; 1] = [ids.into()];
        client.update(query!("delete_topics"), None, &args)?;
    }
    for (id, old, new) in &ws.add_partitions {
        let args: [DatumWithOid; 2] = [uuid(id).into(), (*new).into()];
        client.update(query!("set_partition_count"), None, &args)?;
        let args: [DatumWithOid; 3] = [uuid(id).into(), (*old).into(), (*new).into()];
        client.update(query!("insert_partitions"), None, &args)?;
    }
    if !ws.appends.is_empty() {
        let n = ws.appends.len();
        let mut topic = Vec::with_capacity(n);
        let mut partition = Vec::with_capacity(n);
        let mut base = Vec::with_capacity(n);
        let mut last = Vec::with_capacity(n);
        let mut base_ts = Vec::with_capacity(n);
        let mut max_ts = Vec::with_capacity(n);
        let mut count = Vec::with_capacity(n);
        let mut attrs = Vec::with_capacity(n);
        let mut pid = Vec::with_capacity(n);
        let mut epoch = Vec::with_capacity(n);
        let mut seq = Vec::with_capacity(n);
        let mut bytes = Vec::with_capacity(n);
        for (t, p, b) in &ws.appends {
            topic.push(uuid(t));
            partition.push(*p);
            base.push(b.base_offset);
            last.push(b.last_offset);
            base_ts.push(b.base_timestamp);
            max_ts.push(b.max_timestamp);
            count.push(b.record_count);
            attrs.push(b.attributes);
            pid.push(b.producer_id);
            epoch.push(b.producer_epoch);
            seq.push(b.base_sequence);
            bytes.push(&b.bytes[..]);
        }
        let args: [DatumWithOid; 12] = [
            topic.into(),
            partition.into(),
            base.into(),
            last.into(),
            base_ts.into(),
            max_ts.into(),
            count.into(),
            attrs.into(),
            pid.into(),
            epoch.into(),
            seq.into(),
            ByteaArray(bytes).into(),
        ];
        plans::insert_batches(&args)?;
    }
    store_cleaner::write(client, ws)?;
    if !ws.heads.is_empty() {
        let topic: Vec<pgrx::Uuid> = ws.heads.iter().map(|h| uuid(&h.topic_id)).collect();
        let partition: Vec<i32> = ws.heads.iter().map(|h| h.partition).collect();
        let next: Vec<i64> = ws.heads.iter().map(|h| h.next_offset).collect();
        let start: Vec<i64> = ws.heads.iter().map(|h| h.log_start_offset).collect();
        let bytes: Vec<i64> = ws.heads.iter().map(|h| h.stored_bytes).collect();
        let count: Vec<i64> = ws.heads.iter().map(|h| h.stored_batches).collect();
        let args: [DatumWithOid; 6] = [
            topic.into(),
            partition.into(),
            next.into(),
            start.into(),
            bytes.into(),
            count.into(),
        ];
        client.update(query!("update_heads"), None, &args)?;
    }
    store_groups::write(client, ws)?;
    store_producers::write(client, ws)
}

impl Store for SpiStore {
    fn load_topics(&mut self) -> Result<Snapshot, StoreError> {
        in_txn(|| {
            Spi::connect(|client| {
                let mut snap = Snapshot::default();
                for row in client.select(query!("select_topics"), None, &[])? {
                    let keys = row.get::<Vec<String>>(4)?.unwrap_or_default();
                    let values = row.get::<Vec<String>>(5)?.unwrap_or_default();
                    snap.topics.push(TopicRow {
                        id: row.get::<pgrx::Uuid>(1)?.map(to_uuid).unwrap_or_default(),
                        name: row.get::<String>(2)?.unwrap_or_default(),
                        partitions: row.get::<i32>(3)?.unwrap_or_default(),
                        configs: keys.into_iter().zip(values).collect::<BTreeMap<_, _>>(),
                    });
                }
                for row in client.select(query!("select_partitions"), None, &[])? {
                    snap.partitions.push(PartitionRow {
                        topic_id: row.get::<pgrx::Uuid>(1)?.map(to_uuid).unwrap_or_default(),
                        partition: row.get::<i32>(2)?.unwrap_or_default(),
                        next_offset: row.get::<i64>(3)?.unwrap_or_default(),
                        log_start_offset: row.get::<i64>(4)?.unwrap_or_default(),
                        stored_bytes: row.get::<i64>(5)?.unwrap_or_default(),
                        stored_batches: row.get::<i64>(6)?.unwrap_or_default(),
                        cleaned_offset: row.get::<i64>(7)?.unwrap_or_default(),
                        cleaned_at_ms: row.get::<i64>(8)?,
                    });
                }
                (snap.groups, snap.offsets) = store_groups::load(client)?;
                store_producers::load(client, &mut snap)?;
                Ok(snap)
            })
        })
    }

    fn load_tail(
        &mut self,
        topic: uuid::Uuid,
        partition: i32,
        budget: usize,
    ) -> Result<Vec<Batch>, StoreError> {
        in_txn(|| {
            Spi::connect(|client| {
                // One cursor, newest first: planned once per partition, fetched a chunk at a time.
                let args: [DatumWithOid; 2] = [uuid(&topic).into(), partition.into()];
                let mut cursor = client.try_open_cursor(query!("select_tail"), &args)?;
                let mut out: Vec<Batch> = Vec::new();
                let mut total = 0usize;
                loop {
                    let chunk = batches(cursor.fetch(CHUNK_ROWS)?)?;
                    free_fetched();
                    let fetched = chunk.len();
                    for b in chunk {
                        if total + b.bytes.len() > budget {
                            out.reverse();
                            return Ok(out);
                        }
                        total += b.bytes.len();
                        out.push(b);
                    }
                    if (fetched as i64) < CHUNK_ROWS {
                        out.reverse();
                        return Ok(out);
                    }
                }
            })
        })
    }

    fn commit(&mut self, ws: &WriteSet) -> Result<(), StoreError> {
        in_txn(|| Spi::connect_mut(|client| write(client, ws)))
    }

    fn read_batches(
        &mut self,
        topic: uuid::Uuid,
        partition: i32,
        from_offset: i64,
        max_bytes: usize,
    ) -> Result<Vec<Batch>, StoreError> {
        in_txn(|| {
            Spi::connect(|client| {
                let args: [DatumWithOid; 3] =
                    [uuid(&topic).into(), partition.into(), from_offset.into()];
                let mut out = batches(client.select(query!("select_batch_at"), None, &args)?)?;
                let mut total: usize = out.iter().map(|b| b.bytes.len()).sum();
                let mut after = out.last().map(|b| b.base_offset).unwrap_or(from_offset - 1);
                loop {
                    // Only the batches that fit are read from TOAST (the query applies the
                    // budget); at least one batch when none was found yet.
                    let budget = i64::try_from(max_bytes.saturating_sub(total)).unwrap_or(i64::MAX);
                    if budget == 0 && !out.is_empty() {
                        return Ok(out);
                    }
                    let args: [DatumWithOid; 6] = [
                        uuid(&topic).into(),
                        partition.into(),
                        after.into(),
                        WITHIN_ROWS.into(),
                        budget.into(),
                        out.is_empty().into(),
                    ];
                    let chunk =
                        batches(client.select(query!("select_batches_within"), None, &args)?)?;
                    let fetched = chunk.len();
                    for b in chunk {
                        total += b.bytes.len();
                        after = b.base_offset;
                        out.push(b);
                    }
                    if (fetched as i64) < WITHIN_ROWS {
                        return Ok(out);
                    }
                }
            })
        })
    }

    fn find_by_timestamp(
        &mut self,
        topic: uuid::Uuid,
        partition: i32,
        from_offset: i64,
        timestamp: i64,
    ) -> Result<Option<Batch>, StoreError> {
        in_txn(|| {
            Spi::connect(|client| {
                let args: [DatumWithOid; 4] = [
                    uuid(&topic).into(),
                    partition.into(),
                    from_offset.into(),
                    timestamp.into(),
                ];
                Ok(batches(client.select(query!("select_by_timestamp"), None, &args)?)?.pop())
            })
        })
    }

    fn find_max_timestamp(
        &mut self,
        topic: uuid::Uuid,
        partition: i32,
        from_offset: i64,
    ) -> Result<Option<Batch>, StoreError> {
        in_txn(|| {
            Spi::connect(|client| {
                let args: [DatumWithOid; 3] =
                    [uuid(&topic).into(), partition.into(), from_offset.into()];
                Ok(batches(client.select(query!("select_max_timestamp"), None, &args)?)?.pop())
            })
        })
    }

    fn batch_metadata(
        &mut self,
        topic: uuid::Uuid,
        partition: i32,
        from_offset: i64,
        max_rows: usize,
    ) -> Result<Vec<pg_kafka_core::store::BatchMeta>, StoreError> {
        in_txn(|| {
            Spi::connect(|client| {
                store_cleaner::batch_metadata(client, topic, partition, from_offset, max_rows)
            })
        })
    }

    fn role(&mut self, name: &str) -> Result<Option<pg_kafka_core::store::RoleRow>, StoreError> {
        in_txn(|| Spi::connect(|client| store_roles::role(client, name)))
    }

    fn scram_roles(&mut self, limit: usize) -> Result<Vec<(String, String)>, StoreError> {
        in_txn(|| Spi::connect(|client| store_roles::scram_roles(client, limit)))
    }

    fn acl_state(&mut self, limit: usize) -> Result<AclState, StoreError> {
        in_txn(|| Spi::connect(|client| store_acls::acl_state(client, limit)))
    }

    fn create_acls(&mut self, bindings: &[AclBinding], by: &str) -> Result<(), StoreError> {
        in_txn(|| Spi::connect_mut(|client| store_acls::create_acls(client, bindings, by)))
    }

    fn append_audit(&mut self, rows: &[pg_kafka_core::store::AuditRow]) -> Result<(), StoreError> {
        in_txn(|| Spi::connect_mut(|client| store_acls::append_audit(client, rows)))
    }

    fn delete_acls(&mut self, filters: &[AclFilter]) -> Result<Vec<Vec<AclBinding>>, StoreError> {
        in_txn(|| {
            Spi::connect_mut(|client| store_acls::delete_acls(client, filters, MAX_ACL_BINDINGS))
        })
    }
}
