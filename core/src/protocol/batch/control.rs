//! Control batches: the transaction marker a commit or an abort leaves on every partition of the
//! transaction. A RecordBatch v2 with the control and transactional bits set and one record whose
//! key is version 0 + type (0 abort, 1 commit) and whose value is version 0 + coordinator epoch.

use bytes::{BufMut, Bytes, BytesMut};

use super::encode::varint;
use super::{attributes, write_crc, HEADER_LEN, LENGTH_PREFIX};

/// A marker batch at base offset 0 (the writer stamps the real one; the CRC does not cover it).
pub fn control_batch(producer_id: i64, producer_epoch: i16, commit: bool, timestamp: i64) -> Bytes {
    let mut record = BytesMut::new();
    record.put_i8(0); // attributes
    varint(&mut record, 0); // timestamp delta
    varint(&mut record, 0); // offset delta
    varint(&mut record, 4); // key length
    record.put_i16(0); // key version
    record.put_i16(i16::from(commit)); // 0 abort, 1 commit
    varint(&mut record, 6); // value length
    record.put_i16(0); // value version
    record.put_i32(0); // coordinator epoch
    varint(&mut record, 0); // headers
    let mut body = BytesMut::new();
    varint(&mut body, record.len() as i64);
    body.put_slice(&record);

    let mut b = BytesMut::with_capacity(HEADER_LEN + body.len());
    b.put_i64(0); // base offset
    b.put_i32((HEADER_LEN - LENGTH_PREFIX + body.len()) as i32); // batch length
    b.put_i32(-1); // partition leader epoch
    b.put_i8(2); // magic
    b.put_u32(0); // crc, filled below
    b.put_i16(attributes::MARKER);
    b.put_i32(0); // last offset delta
    b.put_i64(timestamp);
    b.put_i64(timestamp);
    b.put_i64(producer_id);
    b.put_i16(producer_epoch);
    b.put_i32(-1); // base sequence
    b.put_i32(1); // records
    b.put_slice(&body);
    write_crc(&mut b);
    b.freeze()
}
