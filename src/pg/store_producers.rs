//! Producer and transaction state in the kafka tables: producer ids, transaction coordinator
//! rows with their partitions, aborted transactions, and (read-only) the newest batches of each
//! idempotent producer per partition, from which recovery rebuilds sequence windows.
//!
//! Called by `store.rs` inside its transactions. Upserts collapse duplicate keys first (last
//! write wins), because an upsert may not touch the same row twice in one statement.

use std::collections::BTreeMap;

use pg_kafka_core::store::{
    AbortedTxnRow, ProducerBatchRow, ProducerRow, Snapshot, TxnPartitionRow, TxnRow, WriteSet,
    PRODUCER_BATCHES_KEPT,
};
use pgrx::datum::DatumWithOid;
use pgrx::spi::{SpiClient, SpiResult};

use super::store::{to_uuid, uuid};

/// Write the producer and transaction parts of a write set inside the current transaction.
pub(crate) fn write(client: &mut SpiClient<'_>, ws: &WriteSet) -> SpiResult<()> {
    if !ws.put_producers.is_empty() {
        let rows: BTreeMap<i64, &ProducerRow> = ws
            .put_producers
            .iter()
            .map(|p| (p.producer_id, p))
            .collect();
        let args: [DatumWithOid; 3] = [
            rows.keys().copied().collect::<Vec<_>>().into(),
            rows.values()
                .map(|p| p.producer_epoch)
                .collect::<Vec<_>>()
                .into(),
            rows.values()
                .map(|p| p.transactional_id.clone())
                .collect::<Vec<_>>()
                .into(),
        ];
        client.update(query!("upsert_producers"), None, &args)?;
    }
    if !ws.put_transactions.is_empty() {
        let rows: BTreeMap<&str, &TxnRow> = ws
            .put_transactions
            .iter()
            .map(|t| (t.transactional_id.as_str(), t))
            .collect();
        let ids: Vec<String> = rows.keys().map(|k| k.to_string()).collect();
        let args: [DatumWithOid; 7] = [
            ids.clone().into(),
            rows.values()
                .map(|t| t.producer_id)
                .collect::<Vec<_>>()
                .into(),
            rows.values()
                .map(|t| t.producer_epoch)
                .collect::<Vec<_>>()
                .into(),
            rows.values()
                .map(|t| t.last_producer_epoch)
                .collect::<Vec<_>>()
                .into(),
            rows.values()
                .map(|t| t.state.clone())
                .collect::<Vec<_>>()
                .into(),
            rows.values()
                .map(|t| t.timeout_ms)
                .collect::<Vec<_>>()
                .into(),
            rows.values()
                .map(|t| t.start_timestamp)
                .collect::<Vec<_>>()
                .into(),
        ];
        client.update(query!("upsert_transactions"), None, &args)?;
        let args: [DatumWithOid; 1] = [ids.into()];
        client.update(query!("delete_transaction_partitions"), None, &args)?;
        let parts: BTreeMap<(&str, uuid::Uuid, i32), i64> = rows
            .values()
            .flat_map(|t| {
                t.partitions.iter().map(move |p| {
                    (
                        (t.transactional_id.as_str(), p.topic_id, p.partition),
                        p.first_offset,
                    )
                })
            })
            .collect();
        if !parts.is_empty() {
            let args: [DatumWithOid; 4] = [
                parts
                    .keys()
                    .map(|k| k.0.to_string())
                    .collect::<Vec<_>>()
                    .into(),
                parts.keys().map(|k| uuid(&k.1)).collect::<Vec<_>>().into(),
                parts.keys().map(|k| k.2).collect::<Vec<_>>().into(),
                parts.values().copied().collect::<Vec<_>>().into(),
            ];
            client.update(query!("insert_transaction_partitions"), None, &args)?;
        }
    }
    if !ws.aborted_txns.is_empty() {
        let a = &ws.aborted_txns;
        let args: [DatumWithOid; 5] = [
            a.iter()
                .map(|r| uuid(&r.topic_id))
                .collect::<Vec<_>>()
                .into(),
            a.iter().map(|r| r.partition).collect::<Vec<_>>().into(),
            a.iter().map(|r| r.producer_id).collect::<Vec<_>>().into(),
            a.iter().map(|r| r.first_offset).collect::<Vec<_>>().into(),
            a.iter().map(|r| r.last_offset).collect::<Vec<_>>().into(),
        ];
        client.update(query!("insert_aborted_transactions"), None, &args)?;
    }
    Ok(())
}

/// Fill the producer and transaction fields of a snapshot.
pub(crate) fn load(client: &SpiClient<'_>, snap: &mut Snapshot) -> SpiResult<()> {
    for row in client.select(query!("select_producers"), None, &[])? {
        snap.producers.push(ProducerRow {
            producer_id: row.get::<i64>(1)?.unwrap_or_default(),
            producer_epoch: row.get::<i16>(2)?.unwrap_or_default(),
            transactional_id: row.get::<String>(3)?,
        });
    }
    let mut txns: BTreeMap<String, TxnRow> = BTreeMap::new();
    for row in client.select(query!("select_transactions"), None, &[])? {
        let t = TxnRow {
            transactional_id: row.get::<String>(1)?.unwrap_or_default(),
            producer_id: row.get::<i64>(2)?.unwrap_or_default(),
            producer_epoch: row.get::<i16>(3)?.unwrap_or_default(),
            last_producer_epoch: row.get::<i16>(4)?.unwrap_or(-1),
            state: row.get::<String>(5)?.unwrap_or_default(),
            timeout_ms: row.get::<i32>(6)?.unwrap_or_default(),
            start_timestamp: row.get::<i64>(7)?.unwrap_or(-1),
            partitions: Vec::new(),
        };
        txns.insert(t.transactional_id.clone(), t);
    }
    for row in client.select(query!("select_transaction_partitions"), None, &[])? {
        let id = row.get::<String>(1)?.unwrap_or_default();
        let p = TxnPartitionRow {
            topic_id: row.get::<pgrx::Uuid>(2)?.map(to_uuid).unwrap_or_default(),
            partition: row.get::<i32>(3)?.unwrap_or_default(),
            first_offset: row.get::<i64>(4)?.unwrap_or(-1),
        };
        if let Some(t) = txns.get_mut(&id) {
            t.partitions.push(p);
        }
    }
    snap.transactions = txns.into_values().collect();
    for row in client.select(query!("select_aborted_transactions"), None, &[])? {
        snap.aborted_txns.push(AbortedTxnRow {
            topic_id: row.get::<pgrx::Uuid>(1)?.map(to_uuid).unwrap_or_default(),
            partition: row.get::<i32>(2)?.unwrap_or_default(),
            producer_id: row.get::<i64>(3)?.unwrap_or_default(),
            first_offset: row.get::<i64>(4)?.unwrap_or_default(),
            last_offset: row.get::<i64>(5)?.unwrap_or_default(),
        });
    }
    let args: [DatumWithOid; 1] = [(PRODUCER_BATCHES_KEPT as i64).into()];
    for row in client.select(query!("select_producer_batches"), None, &args)? {
        snap.producer_batches.push(ProducerBatchRow {
            topic_id: row.get::<pgrx::Uuid>(1)?.map(to_uuid).unwrap_or_default(),
            partition: row.get::<i32>(2)?.unwrap_or_default(),
            producer_id: row.get::<i64>(3)?.unwrap_or_default(),
            producer_epoch: row.get::<i16>(4)?.unwrap_or_default(),
            base_sequence: row.get::<i32>(5)?.unwrap_or_default(),
            record_count: row.get::<i32>(6)?.unwrap_or_default(),
            base_offset: row.get::<i64>(7)?.unwrap_or_default(),
            last_offset: row.get::<i64>(8)?.unwrap_or_default(),
        });
    }
    Ok(())
}
