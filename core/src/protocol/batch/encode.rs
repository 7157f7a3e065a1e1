//! Rebuilding a stored batch from some of its records, as compaction does.
//!
//! The rebuilt batch keeps what consumers and producers rely on: its base offset and last offset
//! delta (a consumer moves past records that are gone), each kept record's offset and timestamp
//! (as deltas from the original base offset and base timestamp), the producer id, epoch and
//! base sequence, the partition leader epoch, the attributes (codec, timestamp type,
//! transactional and control bits) and so its codec: the records are compressed again as they
//! came, as Kafka's log cleaner does, so compaction never makes a topic larger than it was. The
//! max timestamp is that of the kept records (a LogAppendTime batch keeps its append time); the
//! CRC-32C is computed afresh.

use bytes::{BufMut, Bytes, BytesMut};

use super::{
    attributes, corrupt, for_each_batch, write_crc, BatchError, Record, HEADER_LEN, LENGTH_PREFIX,
};
use crate::protocol::compression;

/// `original` (one stored batch) with only `kept` (some of its own records, in offset order).
pub fn rebuild(original: &[u8], kept: &[Record]) -> Result<Bytes, BatchError> {
    let mut header = None;
    for_each_batch(original, false, |one, info| {
        if header.is_some() {
            return Err(corrupt("more than one batch"));
        }
        header = Some((
            info,
            one.get(12..16).map(<[u8]>::to_vec).unwrap_or_default(),
        ));
        Ok(())
    })?;
    let Some((info, leader_epoch)) = header else {
        return Err(corrupt("no batch"));
    };
    if kept.is_empty() {
        return Err(BatchError::InvalidRecord(
            "a batch keeps at least one record".into(),
        ));
    }
    let mut plain = BytesMut::new();
    let mut max_timestamp = i64::MIN;
    let mut previous = -1i64;
    for r in kept {
        let delta = r.offset - info.base_offset;
        if delta <= previous || delta > i64::from(info.last_offset_delta) {
            return Err(corrupt(format!(
                "record offset {} is not in the batch",
                r.offset
            )));
        }
        previous = delta;
        max_timestamp = max_timestamp.max(r.timestamp);
        record(&mut plain, r, delta, r.timestamp - info.base_timestamp);
    }
    if attributes::is_log_append_time(info.attributes) {
        max_timestamp = info.max_timestamp;
    }
    let section = compression::compress(info.compression, &plain)
        .map_err(|e| corrupt(format!("recompressing: {e:?}")))?;
    let mut b = BytesMut::with_capacity(HEADER_LEN + section.len());
    b.put_i64(info.base_offset);
    b.put_i32((HEADER_LEN - LENGTH_PREFIX + section.len()) as i32);
    b.put_slice(&leader_epoch);
    b.put_i8(2);
    b.put_u32(0); // crc, below
    b.put_i16(info.attributes);
    b.put_i32(info.last_offset_delta);
    b.put_i64(info.base_timestamp);
    b.put_i64(max_timestamp);
    b.put_i64(info.producer_id);
    b.put_i16(info.producer_epoch);
    b.put_i32(info.base_sequence);
    b.put_i32(kept.len() as i32);
    b.put_slice(&section);
    write_crc(&mut b);
    Ok(b.freeze())
}

/// One record of a v2 batch: length, attributes, timestamp and offset deltas, key, value,
/// headers.
fn record(out: &mut BytesMut, r: &Record, offset_delta: i64, timestamp_delta: i64) {
    let mut body = BytesMut::new();
    body.put_i8(0);
    varint(&mut body, timestamp_delta);
    varint(&mut body, offset_delta);
    bytes_field(&mut body, r.key.as_deref());
    bytes_field(&mut body, r.value.as_deref());
    varint(&mut body, r.headers.len() as i64);
    for (k, v) in &r.headers {
        bytes_field(&mut body, Some(k));
        bytes_field(&mut body, v.as_deref());
    }
    varint(out, body.len() as i64);
    out.put_slice(&body);
}

fn bytes_field(out: &mut BytesMut, b: Option<&[u8]>) {
    match b {
        None => varint(out, -1),
        Some(b) => {
            varint(out, b.len() as i64);
            out.put_slice(b);
        }
    }
}

/// Kafka's zigzag varint.
pub(super) fn varint(out: &mut BytesMut, v: i64) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    while z >= 0x80 {
        out.put_u8((z as u8) | 0x80);
        z >>= 7;
    }
    out.put_u8(z as u8);
}
