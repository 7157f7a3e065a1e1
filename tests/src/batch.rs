//! A small RecordBatch v2 encoder for hand-made (valid or deliberately hostile) produce payloads.
//!
//! Layout (Kafka's on-wire batch, magic 2): base_offset i64, batch_length i32,
//! partition_leader_epoch i32, magic i8, crc u32 (CRC-32C of everything after it), attributes
//! i16, last_offset_delta i32, base_timestamp i64, max_timestamp i64, producer_id i64,
//! producer_epoch i16, base_sequence i32, record_count i32, then the records section (compressed
//! as a whole when attributes say so).

use std::io::Write;

/// Compression codec ids in the low 3 bits of the batch attributes.
pub const CODEC_NONE: i16 = 0;
pub const CODEC_GZIP: i16 = 1;

/// Appends a zigzag varint.
pub fn put_varint(out: &mut Vec<u8>, v: i64) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    loop {
        if z < 0x80 {
            out.push(z as u8);
            return;
        }
        out.push((z as u8 & 0x7f) | 0x80);
        z >>= 7;
    }
}

fn put_bytes_varint(out: &mut Vec<u8>, b: Option<&[u8]>) {
    match b {
        None => put_varint(out, -1),
        Some(b) => {
            put_varint(out, b.len() as i64);
            out.extend_from_slice(b);
        }
    }
}

/// One encoded record (length-prefixed) of a v2 batch.
pub fn record(
    offset_delta: i32,
    timestamp_delta: i64,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers: &[(&str, Option<&[u8]>)],
) -> Vec<u8> {
    let mut body = vec![0u8]; // attributes
    put_varint(&mut body, timestamp_delta);
    put_varint(&mut body, offset_delta as i64);
    put_bytes_varint(&mut body, key);
    put_bytes_varint(&mut body, value);
    put_varint(&mut body, headers.len() as i64);
    for (k, v) in headers {
        put_bytes_varint(&mut body, Some(k.as_bytes()));
        put_bytes_varint(&mut body, *v);
    }
    let mut out = Vec::with_capacity(body.len() + 5);
    put_varint(&mut out, body.len() as i64);
    out.extend_from_slice(&body);
    out
}

/// A batch header plus `records_section` (already compressed if `attributes` say so).
/// `record_count` is written as given, so it may lie about the records section.
pub fn batch(
    attributes: i16,
    record_count: i32,
    last_offset_delta: i32,
    base_timestamp: i64,
    records_section: &[u8],
) -> Vec<u8> {
    batch_from(
        attributes,
        record_count,
        last_offset_delta,
        base_timestamp,
        Producer::NONE,
        records_section,
    )
}

/// Producer fields of a batch header: id, epoch, base sequence (all -1 for a plain producer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Producer {
    pub id: i64,
    pub epoch: i16,
    pub base_sequence: i32,
}

impl Producer {
    pub const NONE: Producer = Producer {
        id: -1,
        epoch: -1,
        base_sequence: -1,
    };
}

/// As `batch`, with the producer id, epoch and base sequence of `producer`.
pub fn batch_from(
    attributes: i16,
    record_count: i32,
    last_offset_delta: i32,
    base_timestamp: i64,
    producer: Producer,
    records_section: &[u8],
) -> Vec<u8> {
    let mut after_crc = Vec::with_capacity(40 + records_section.len());
    after_crc.extend_from_slice(&attributes.to_be_bytes());
    after_crc.extend_from_slice(&last_offset_delta.to_be_bytes());
    after_crc.extend_from_slice(&base_timestamp.to_be_bytes());
    after_crc.extend_from_slice(&base_timestamp.to_be_bytes()); // max_timestamp
    after_crc.extend_from_slice(&producer.id.to_be_bytes());
    after_crc.extend_from_slice(&producer.epoch.to_be_bytes());
    after_crc.extend_from_slice(&producer.base_sequence.to_be_bytes());
    after_crc.extend_from_slice(&record_count.to_be_bytes());
    after_crc.extend_from_slice(records_section);
    let crc = crc32c::crc32c(&after_crc);

    let batch_length = (4 + 1 + 4 + after_crc.len()) as i32;
    let mut out = Vec::with_capacity(12 + batch_length as usize);
    out.extend_from_slice(&0i64.to_be_bytes()); // base_offset
    out.extend_from_slice(&batch_length.to_be_bytes());
    out.extend_from_slice(&(-1i32).to_be_bytes()); // partition_leader_epoch
    out.push(2); // magic
    out.extend_from_slice(&crc.to_be_bytes());
    out.extend_from_slice(&after_crc);
    out
}

/// A valid uncompressed batch of simple key/value records.
pub fn simple_batch(records: &[(&[u8], &[u8])], base_timestamp: i64) -> Vec<u8> {
    let mut section = Vec::new();
    for (i, (k, v)) in records.iter().enumerate() {
        section.extend_from_slice(&record(i as i32, 0, Some(k), Some(v), &[]));
    }
    let n = records.len() as i32;
    batch(CODEC_NONE, n, n - 1, base_timestamp, &section)
}

/// A valid uncompressed batch of simple key/value records from an idempotent producer.
pub fn idempotent_batch(
    producer: Producer,
    records: &[(&[u8], &[u8])],
    base_timestamp: i64,
) -> Vec<u8> {
    let mut section = Vec::new();
    for (i, (k, v)) in records.iter().enumerate() {
        section.extend_from_slice(&record(i as i32, 0, Some(k), Some(v), &[]));
    }
    let n = records.len() as i32;
    batch_from(CODEC_NONE, n, n - 1, base_timestamp, producer, &section)
}

/// Flips a bit of the stored CRC so the batch no longer verifies.
pub fn corrupt_crc(batch: &mut [u8]) {
    batch[17] ^= 0x01;
}

/// A gzip batch claiming one record whose records section inflates to `inflated_len` zero bytes.
pub fn gzip_bomb(inflated_len: usize, base_timestamp: i64) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    let mut left = inflated_len;
    while left > 0 {
        let n = left.min(zeros.len());
        gz.write_all(&zeros[..n]).expect("gzip write");
        left -= n;
    }
    let section = gz.finish().expect("gzip finish");
    batch(CODEC_GZIP, 1, 0, base_timestamp, &section)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_are_zigzag() {
        let mut v = Vec::new();
        put_varint(&mut v, 0);
        put_varint(&mut v, -1);
        put_varint(&mut v, 1);
        put_varint(&mut v, 300);
        assert_eq!(v, vec![0x00, 0x01, 0x02, 0xd8, 0x04]);
    }

    #[test]
    fn batch_length_counts_bytes_after_the_length_field() {
        let b = simple_batch(&[(b"k", b"v")], 0);
        let len = i32::from_be_bytes(b[8..12].try_into().unwrap()) as usize;
        assert_eq!(len, b.len() - 12);
        let crc = u32::from_be_bytes(b[17..21].try_into().unwrap());
        assert_eq!(crc, crc32c::crc32c(&b[21..]));
    }
}
