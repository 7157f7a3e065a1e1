//! The records of a RecordBatch: the checks a Produce's `records` must pass before the batch is
//! stored verbatim, and record-level decoding for the SQL side.
//!
//! Owns: record structure (varints, lengths, offset deltas, headers) and the bounded
//! decompression of a batch's records section. Invariants: nothing is allocated from a wire
//! count or length (counts are checked against the bytes present; record vectors grow per parsed
//! record); decompression is bounded by the caller's `max_decompressed`; a batch that passes
//! `validate_batches` decodes with `decode_records`.

use kafka_protocol::ResponseError;

use super::{attributes, corrupt, for_each_batch, HEADER_LEN};
use crate::error::KafkaError;
use crate::protocol::compression::{self, Codec, Compression};

/// Smallest record: length, attributes, timestamp delta, offset delta, key len, value len,
/// header count, one byte each.
const MIN_RECORD_LEN: usize = 7;

/// Why a batch was refused, with the Kafka error code the partition gets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error("corrupt record batch: {0}")]
    Corrupt(String),
    #[error("invalid record: {0}")]
    InvalidRecord(String),
    #[error("unsupported compression type {0}")]
    UnsupportedCompression(i16),
    #[error("decompressed records exceed {0} bytes")]
    TooLarge(usize),
}

impl BatchError {
    /// The Kafka error for the partition's produce response.
    pub fn code(&self) -> ResponseError {
        match self {
            BatchError::Corrupt(_) => ResponseError::CorruptMessage,
            BatchError::InvalidRecord(_) => ResponseError::InvalidRecord,
            BatchError::UnsupportedCompression(_) => ResponseError::UnsupportedCompressionType,
            BatchError::TooLarge(_) => ResponseError::MessageTooLarge,
        }
    }
}

impl From<BatchError> for KafkaError {
    fn from(e: BatchError) -> Self {
        KafkaError::with_message(e.code(), e.to_string())
    }
}

fn invalid(msg: impl Into<String>) -> BatchError {
    BatchError::InvalidRecord(msg.into())
}

/// Header fields of one validated batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchInfo {
    /// Whole batch, base_offset through its last record.
    pub byte_len: usize,
    /// As the batch carries it (0 from producers; the assigned one in a stored batch).
    pub base_offset: i64,
    pub attributes: i16,
    pub last_offset_delta: i32,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub records_count: i32,
    pub is_transactional: bool,
    pub is_control: bool,
    pub compression: Compression,
    /// Bytes its records section decompressed to (0 when uncompressed; set by validation).
    pub decompressed_len: usize,
    /// Some record has no key (set by validation; a compacted topic refuses the batch).
    pub keyless: bool,
}

/// One decoded record; headers keep order, duplicates and null values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub offset: i64,
    pub timestamp: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

/// Validate every batch in `records` (one partition's produce data), in order. Decompression
/// produces at most `max_decompressed` bytes across all of them; each info says how many its
/// batch took.
pub fn validate_batches(
    records: &[u8],
    max_decompressed: usize,
) -> Result<Vec<BatchInfo>, BatchError> {
    let mut infos = Vec::new();
    let mut left = max_decompressed;
    for_each_batch(records, true, |batch, mut info| {
        let mut newest = i64::MIN;
        let mut keyless = false;
        let produced = visit_records(batch, &info, left, true, |r| {
            newest = newest.max(r.timestamp);
            keyless |= r.key.is_none();
            Ok(())
        })?;
        info.keyless = keyless;
        left -= produced.min(left);
        info.decompressed_len = produced;
        // Some clients (Sarama before 1.27, for one) leave the header's max timestamp at -1;
        // the stored column takes the newest record timestamp, as Kafka recomputes it. The
        // bytes stay as sent.
        if newest > info.max_timestamp {
            info.max_timestamp = newest;
        }
        infos.push(info);
        Ok(())
    })?;
    Ok(infos)
}

/// Decode the records of every batch in `batch` (normally one stored, offset-stamped batch, which
/// compaction may have left with gaps between its records' offsets).
pub fn decode_records(batch: &[u8], max_decompressed: usize) -> Result<Vec<Record>, BatchError> {
    let mut out = Vec::new();
    for_each_batch(batch, false, |one, info| {
        visit_records(one, &info, max_decompressed, false, |r| {
            out.push(r.to_record()?);
            Ok(())
        })
        .map(drop)
    })?;
    Ok(out)
}

/// Offset deltas (the index within their batch, for Produce's record_errors) of the records in
/// `batch` that have no key, read in place without copying a record; at most `max` of them.
pub fn keyless_records(
    batch: &[u8],
    max_decompressed: usize,
    max: usize,
) -> Result<Vec<i32>, BatchError> {
    let mut out = Vec::new();
    for_each_batch(batch, false, |one, info| {
        visit_records(one, &info, max_decompressed, false, |r| {
            if r.key.is_none() && out.len() < max {
                out.push(i32::try_from(r.offset - info.base_offset).unwrap_or(i32::MAX));
            }
            Ok(())
        })
        .map(drop)
    })?;
    Ok(out)
}

/// A record borrowed from the (decompressed) records section.
struct RecordRef<'a> {
    offset: i64,
    timestamp: i64,
    key: Option<&'a [u8]>,
    value: Option<&'a [u8]>,
    header_count: usize,
    headers: &'a [u8],
}

impl RecordRef<'_> {
    fn to_record(&self) -> Result<Record, BatchError> {
        let mut headers = Vec::new();
        let mut r = Reader(self.headers);
        for _ in 0..self.header_count {
            let (k, v) = header_pair(&mut r)?;
            headers.push((k.to_vec(), v.map(<[u8]>::to_vec)));
        }
        Ok(Record {
            offset: self.offset,
            timestamp: self.timestamp,
            key: self.key.map(<[u8]>::to_vec),
            value: self.value.map(<[u8]>::to_vec),
            headers,
        })
    }
}

/// Decompress if needed and parse every record, checking offset deltas run 0..count-1 (`strict`)
/// or increase within 0..=last_offset_delta (a compacted batch). Returns the bytes decompression
/// produced (0 for an uncompressed batch).
fn visit_records(
    batch: &[u8],
    info: &BatchInfo,
    max_decompressed: usize,
    strict: bool,
    mut f: impl FnMut(RecordRef<'_>) -> Result<(), BatchError>,
) -> Result<usize, BatchError> {
    let section = batch.get(HEADER_LEN..).unwrap_or_default();
    let owned;
    let plain = if info.compression == Compression::None {
        section
    } else {
        owned =
            compression::decompress(info.compression, section, max_decompressed).map_err(|e| {
                match e {
                    Codec::Corrupt(m) => corrupt(format!("{:?}: {m}", info.compression)),
                    Codec::Bomb => BatchError::TooLarge(max_decompressed),
                }
            })?;
        owned.as_slice()
    };
    let count = usize::try_from(info.records_count).unwrap_or(usize::MAX);
    if count > plain.len() / MIN_RECORD_LEN {
        return Err(corrupt(format!(
            "{count} records cannot fit in {} bytes",
            plain.len()
        )));
    }
    let log_append = attributes::is_log_append_time(info.attributes);
    let mut r = Reader(plain);
    let mut previous: i32 = -1;
    for index in 0..count {
        let len = usize::try_from(r.varint()?).map_err(|_| invalid("negative record length"))?;
        let mut rec = Reader(r.take(len)?);
        let _attributes = rec.take(1)?;
        let ts_delta = rec.varlong()?;
        let offset_delta = rec.varint()?;
        let in_order = if strict {
            usize::try_from(offset_delta).ok() == Some(index)
        } else {
            offset_delta > previous && offset_delta <= info.last_offset_delta
        };
        if !in_order {
            return Err(invalid(format!(
                "offset delta {offset_delta} at index {index}"
            )));
        }
        previous = offset_delta;
        let key = rec.nullable()?;
        let value = rec.nullable()?;
        let header_count =
            usize::try_from(rec.varint()?).map_err(|_| invalid("negative header count"))?;
        let headers = rec.0;
        for _ in 0..header_count {
            header_pair(&mut rec)?;
        }
        if !rec.0.is_empty() {
            return Err(corrupt("record length does not match its fields"));
        }
        f(RecordRef {
            offset: info.base_offset.wrapping_add(i64::from(offset_delta)),
            timestamp: if log_append {
                info.max_timestamp
            } else {
                info.base_timestamp.wrapping_add(ts_delta)
            },
            key,
            value,
            header_count,
            headers,
        })?;
    }
    if !r.0.is_empty() {
        return Err(corrupt("bytes after the last record"));
    }
    Ok(if info.compression == Compression::None {
        0
    } else {
        plain.len()
    })
}

fn header_pair<'a>(r: &mut Reader<'a>) -> Result<(&'a [u8], Option<&'a [u8]>), BatchError> {
    let key = r.nullable()?.ok_or_else(|| invalid("null header key"))?;
    if std::str::from_utf8(key).is_err() {
        return Err(invalid("header key is not UTF-8"));
    }
    Ok((key, r.nullable()?))
}

/// A cursor over record bytes with Kafka's zigzag varints.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], BatchError> {
        if n > self.0.len() {
            return Err(corrupt("record runs past its bytes"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn uvarlong(&mut self, max_bytes: u32) -> Result<u64, BatchError> {
        let mut value = 0u64;
        for i in 0..max_bytes {
            let [b] = self.take(1)? else {
                return Err(corrupt("varint"));
            };
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(corrupt("varint too long"))
    }

    fn varlong(&mut self) -> Result<i64, BatchError> {
        let z = self.uvarlong(10)?;
        Ok((z >> 1) as i64 ^ -((z & 1) as i64))
    }

    fn varint(&mut self) -> Result<i32, BatchError> {
        let z = self.uvarlong(5)?;
        let z = u32::try_from(z).map_err(|_| corrupt("varint overflows i32"))?;
        Ok((z >> 1) as i32 ^ -((z & 1) as i32))
    }

    /// Varint length (-1 = null) and that many bytes.
    fn nullable(&mut self) -> Result<Option<&'a [u8]>, BatchError> {
        match self.varint()? {
            -1 => Ok(None),
            n if n < 0 => Err(invalid(format!("length {n}"))),
            n => self.take(n as usize).map(Some),
        }
    }
}
