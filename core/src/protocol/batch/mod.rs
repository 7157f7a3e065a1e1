//! RecordBatch v2: the one place that knows its byte layout.
//!
//! Owns: the header's field offsets, the attribute bits (codec, timestamp type, transactional,
//! control), reading the header, stamping the broker-assigned base offset, the LogAppendTime
//! rewrite, encoding control batches (transaction markers), rebuilding a batch from some of its
//! records (compaction, in [`encode`]), and — in [`records`] — validating and decoding the
//! records of a batch. Nothing outside this module reads or writes a batch by
//! byte offset.
//!
//! Must not touch: offset assignment, producer state, storage.
//!
//! Invariants: nothing is allocated from a wire count or length; every rewrite that touches bytes
//! under the CRC-32C (attributes through the end of the batch) recomputes it; the base offset and
//! batch length are outside the CRC.

mod control;
mod encode;
mod records;

use bytes::Bytes;

pub use control::control_batch;
pub use encode::rebuild;
pub use records::{
    decode_records, keyless_records, validate_batches, BatchError, BatchInfo, Record,
};

use super::compression::Compression;

/// Bytes before the records: base_offset .. records_count.
pub const HEADER_LEN: usize = 61;
/// batch_length counts the bytes after itself (everything but base_offset and batch_length).
const LENGTH_PREFIX: usize = 12;

const BASE_OFFSET: usize = 0;
const BATCH_LENGTH: usize = 8;
const MAGIC: usize = 16;
const CRC: usize = 17;
/// The CRC covers attributes .. end of batch.
const CRC_START: usize = 21;
const ATTRIBUTES: usize = 21;
const LAST_OFFSET_DELTA: usize = 23;
const BASE_TIMESTAMP: usize = 27;
const MAX_TIMESTAMP: usize = 35;
const PRODUCER_ID: usize = 43;
const PRODUCER_EPOCH: usize = 51;
const BASE_SEQUENCE: usize = 53;
const RECORDS_COUNT: usize = 57;

/// The attribute bits of a batch header.
pub mod attributes {
    /// The low three bits name the codec (see [`super::Compression`]).
    pub const CODEC_MASK: i16 = 0x07;
    /// Timestamps are the broker's append time (the max timestamp field holds it).
    pub const LOG_APPEND_TIME: i16 = 0x08;
    pub const TRANSACTIONAL: i16 = 0x10;
    /// A control batch (transaction marker); always transactional too.
    pub const CONTROL: i16 = 0x20;
    /// A transaction marker's attributes.
    pub const MARKER: i16 = CONTROL | TRANSACTIONAL;

    pub const fn is_transactional(a: i16) -> bool {
        a & TRANSACTIONAL != 0
    }

    pub const fn is_control(a: i16) -> bool {
        a & CONTROL != 0
    }

    pub const fn is_log_append_time(a: i16) -> bool {
        a & LOG_APPEND_TIME != 0
    }
}

/// Write the broker-assigned base offset into a batch. The CRC does not cover it.
pub fn stamp_base_offset(batch: &mut [u8], base_offset: i64) {
    if let Some(field) = batch.get_mut(BASE_OFFSET..BASE_OFFSET + 8) {
        field.copy_from_slice(&base_offset.to_be_bytes());
    }
}

/// `bytes` with its base offset set to `base_offset` (one copy; the client's bytes are shared).
pub fn stamped(bytes: &Bytes, base_offset: i64) -> Bytes {
    let mut out = bytes.to_vec();
    stamp_base_offset(&mut out, base_offset);
    Bytes::from(out)
}

/// Rewrite a batch as a `message.timestamp.type=LogAppendTime` topic stores it: the
/// timestamp-type bit set and the max timestamp replaced by the append time, so consumers report
/// the append time for every record. Both are under the CRC-32C, which is recomputed. Returns the
/// new attributes, or `None` (bytes untouched) for a batch shorter than its header.
pub fn set_log_append_time(batch: &mut [u8], append_time_ms: i64) -> Option<i16> {
    if batch.len() < HEADER_LEN {
        return None;
    }
    let attrs = be_i16(batch, ATTRIBUTES).ok()? | attributes::LOG_APPEND_TIME;
    batch[ATTRIBUTES..ATTRIBUTES + 2].copy_from_slice(&attrs.to_be_bytes());
    batch[MAX_TIMESTAMP..MAX_TIMESTAMP + 8].copy_from_slice(&append_time_ms.to_be_bytes());
    write_crc(batch);
    Some(attrs)
}

/// Recompute the CRC-32C of a batch whose covered bytes changed.
fn write_crc(batch: &mut [u8]) {
    let crc = crc32c::crc32c(&batch[CRC_START..]);
    batch[CRC..CRC + 4].copy_from_slice(&crc.to_be_bytes());
}

/// Split `data` into batches, check each one's length, magic and CRC, and hand it on with its
/// header.
///
/// `strict` is for batches a producer sent: every offset delta present (the last one is the
/// record count less one). Stored batches may have been compacted: records gone, offset deltas
/// increasing with gaps, the last offset delta kept from before.
fn for_each_batch(
    data: &[u8],
    strict: bool,
    mut f: impl FnMut(&[u8], BatchInfo) -> Result<(), BatchError>,
) -> Result<(), BatchError> {
    if data.is_empty() {
        return Err(BatchError::InvalidRecord("no record batch".into()));
    }
    let mut rest = data;
    while !rest.is_empty() {
        let batch_length = be_i32(rest, BATCH_LENGTH)?;
        let byte_len = usize::try_from(batch_length)
            .ok()
            .and_then(|l| l.checked_add(LENGTH_PREFIX))
            .filter(|&l| l >= HEADER_LEN)
            .ok_or_else(|| corrupt(format!("batch length {batch_length}")))?;
        let batch = rest
            .get(..byte_len)
            .ok_or_else(|| corrupt("batch length beyond the bytes present"))?;
        let magic = batch.get(MAGIC).copied().unwrap_or_default();
        if magic != 2 {
            return Err(corrupt(format!(
                "magic {magic}, only v2 batches are accepted"
            )));
        }
        let crc = u32::from_be_bytes(be::<4>(batch, CRC)?);
        let covered = batch.get(CRC_START..).unwrap_or_default();
        if crc32c::crc32c(covered) != crc {
            return Err(corrupt("CRC-32C mismatch"));
        }
        let info = header(batch, strict)?;
        f(batch, info)?;
        rest = rest.get(byte_len..).unwrap_or_default();
    }
    Ok(())
}

fn header(batch: &[u8], strict: bool) -> Result<BatchInfo, BatchError> {
    let attrs = be_i16(batch, ATTRIBUTES)?;
    let compression = Compression::from_attributes(attrs).ok_or(
        BatchError::UnsupportedCompression(attrs & attributes::CODEC_MASK),
    )?;
    let last_offset_delta = be_i32(batch, LAST_OFFSET_DELTA)?;
    let records_count = be_i32(batch, RECORDS_COUNT)?;
    if records_count < 1 {
        return Err(BatchError::InvalidRecord(format!(
            "records_count {records_count}"
        )));
    }
    let deltas_fit = if strict {
        last_offset_delta == records_count - 1
    } else {
        last_offset_delta >= records_count - 1
    };
    if !deltas_fit {
        return Err(BatchError::InvalidRecord(format!(
            "last_offset_delta {last_offset_delta} with {records_count} records"
        )));
    }
    Ok(BatchInfo {
        byte_len: batch.len(),
        base_offset: be_i64(batch, BASE_OFFSET)?,
        attributes: attrs,
        last_offset_delta,
        base_timestamp: be_i64(batch, BASE_TIMESTAMP)?,
        max_timestamp: be_i64(batch, MAX_TIMESTAMP)?,
        producer_id: be_i64(batch, PRODUCER_ID)?,
        producer_epoch: be_i16(batch, PRODUCER_EPOCH)?,
        base_sequence: be_i32(batch, BASE_SEQUENCE)?,
        records_count,
        is_transactional: attributes::is_transactional(attrs),
        is_control: attributes::is_control(attrs),
        compression,
        decompressed_len: 0,
        keyless: false,
    })
}

fn corrupt(msg: impl Into<String>) -> BatchError {
    BatchError::Corrupt(msg.into())
}

fn be<const N: usize>(b: &[u8], at: usize) -> Result<[u8; N], BatchError> {
    b.get(at..at.saturating_add(N))
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| corrupt("batch header truncated"))
}

fn be_i16(b: &[u8], at: usize) -> Result<i16, BatchError> {
    be::<2>(b, at).map(i16::from_be_bytes)
}

fn be_i32(b: &[u8], at: usize) -> Result<i32, BatchError> {
    be::<4>(b, at).map(i32::from_be_bytes)
}

fn be_i64(b: &[u8], at: usize) -> Result<i64, BatchError> {
    be::<8>(b, at).map(i64::from_be_bytes)
}
