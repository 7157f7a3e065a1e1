//! The cleaner's part of the SPI store: removing and rebuilding batches, delete horizons, the
//! compaction checkpoint, and reading batch columns without their bytes.

use pg_kafka_core::store::{BatchMeta, WriteSet};
use pgrx::datum::DatumWithOid;
use pgrx::spi::{SpiClient, SpiResult};

use super::bytea_array::ByteaArray;
use super::store::uuid;

/// Write the cleaner's lists of a write set (after the appends and before the heads).
pub(crate) fn write(client: &mut SpiClient<'_>, ws: &WriteSet) -> SpiResult<()> {
    if !ws.delete_batches.is_empty() {
        let (t, p, o) = columns3(ws.delete_batches.iter().map(|(t, p, o)| (*t, *p, *o)));
        let args: [DatumWithOid; 3] = [t.into(), p.into(), o.into()];
        client.update(query!("delete_batches"), None, &args)?;
    }
    if !ws.replace_batches.is_empty() {
        let (t, p, o) = columns3(
            ws.replace_batches
                .iter()
                .map(|(t, p, b)| (*t, *p, b.base_offset)),
        );
        let max_ts: Vec<i64> = ws
            .replace_batches
            .iter()
            .map(|(_, _, b)| b.max_timestamp)
            .collect();
        let counts: Vec<i32> = ws
            .replace_batches
            .iter()
            .map(|(_, _, b)| b.record_count)
            .collect();
        let bytes: Vec<&[u8]> = ws
            .replace_batches
            .iter()
            .map(|(_, _, b)| &b.bytes[..])
            .collect();
        let args: [DatumWithOid; 6] = [
            t.into(),
            p.into(),
            o.into(),
            max_ts.into(),
            counts.into(),
            ByteaArray(bytes).into(),
        ];
        client.update(query!("replace_batches"), None, &args)?;
    }
    if !ws.delete_horizons.is_empty() {
        let (t, p, o) = columns3(ws.delete_horizons.iter().map(|(t, p, o, _)| (*t, *p, *o)));
        let at: Vec<i64> = ws.delete_horizons.iter().map(|h| h.3).collect();
        let args: [DatumWithOid; 4] = [t.into(), p.into(), o.into(), at.into()];
        client.update(query!("set_delete_horizons"), None, &args)?;
    }
    if !ws.cleaned.is_empty() {
        let (t, p, o) = columns3(ws.cleaned.iter().map(|(t, p, o, _)| (*t, *p, *o)));
        let at: Vec<i64> = ws.cleaned.iter().map(|c| c.3).collect();
        let args: [DatumWithOid; 4] = [t.into(), p.into(), o.into(), at.into()];
        client.update(query!("set_cleaned"), None, &args)?;
    }
    Ok(())
}

/// (topic, partition, offset) triples as three arrays.
fn columns3(
    rows: impl Iterator<Item = (uuid::Uuid, i32, i64)>,
) -> (Vec<pgrx::Uuid>, Vec<i32>, Vec<i64>) {
    let mut t = Vec::new();
    let mut p = Vec::new();
    let mut o = Vec::new();
    for (a, b, c) in rows {
        t.push(uuid(&a));
        p.push(b);
        o.push(c);
    }
    (t, p, o)
}

/// The columns of up to `max_rows` batches ending at or after `from_offset`.
pub(crate) fn batch_metadata(
    client: &SpiClient<'_>,
    topic: uuid::Uuid,
    partition: i32,
    from_offset: i64,
    max_rows: usize,
) -> SpiResult<Vec<BatchMeta>> {
    let args: [DatumWithOid; 4] = [
        uuid(&topic).into(),
        partition.into(),
        from_offset.into(),
        (max_rows as i64).into(),
    ];
    let mut out = Vec::new();
    for row in client.select(query!("select_batch_metadata"), None, &args)? {
        out.push(BatchMeta {
            base_offset: row.get::<i64>(1)?.unwrap_or_default(),
            last_offset: row.get::<i64>(2)?.unwrap_or_default(),
            max_timestamp: row.get::<i64>(3)?.unwrap_or_default(),
            attributes: row.get::<i16>(4)?.unwrap_or_default(),
            producer_id: row.get::<i64>(5)?.unwrap_or(-1),
            base_sequence: row.get::<i32>(6)?.unwrap_or(-1),
            size: row.get::<i64>(7)?.unwrap_or_default().max(0) as usize,
            delete_horizon_ms: row.get::<i64>(8)?,
        });
    }
    Ok(out)
}
