//! Stand-in for the parts of `crate::protocol` the handlers need, with the same signatures, until
//! the protocol module lands: RecordBatch v2 header checks (magic, length, CRC-32C), decoding of
//! uncompressed records, and the version table. Switching to the real module is the one `use`
//! line in `broker/mod.rs`.
//!
//! Invariant: every length read off the wire is checked against the bytes that remain before it
//! is used; collections grow only by what was actually decoded.

/// `crate::protocol::batch`: RecordBatch v2 checks and record decoding.
pub mod batch {
    use bytes::Bytes;
    use kafka_protocol::ResponseError;

    /// Bytes of a RecordBatch v2 header, up to and including the record count.
    const HEADER_LEN: usize = 61;

    /// The header fields of one RecordBatch.
    #[derive(Debug, Clone)]
    pub struct BatchInfo {
        pub byte_len: usize,
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
    }

    /// Why a batch was rejected.
    #[derive(Debug, Clone, PartialEq)]
    pub enum BatchError {
        Corrupt(&'static str),
        Unsupported(&'static str),
    }

    impl BatchError {
        pub fn code(&self) -> i16 {
            match self {
                BatchError::Corrupt(_) => ResponseError::CorruptMessage.code(),
                BatchError::Unsupported(_) => ResponseError::UnsupportedCompressionType.code(),
            }
        }
    }

    /// One decoded record.
    #[allow(dead_code)] // key, value and headers are read by the record SQL functions, not here
    #[derive(Debug, Clone)]
    pub struct Record {
        pub offset: i64,
        pub timestamp: i64,
        pub key: Option<Bytes>,
        pub value: Option<Bytes>,
        pub headers: Vec<(Bytes, Option<Bytes>)>,
    }

    fn be<const N: usize>(b: &[u8], at: usize) -> Result<[u8; N], BatchError> {
        b.get(at..at + N)
            .and_then(|s| s.try_into().ok())
            .ok_or(BatchError::Corrupt("truncated batch"))
    }

    fn header(b: &[u8]) -> Result<BatchInfo, BatchError> {
        if b.len() < HEADER_LEN {
            return Err(BatchError::Corrupt("truncated batch header"));
        }
        let batch_length = i32::from_be_bytes(be(b, 8)?);
        let byte_len = usize::try_from(batch_length)
            .ok()
            .and_then(|l| l.checked_add(12))
            .filter(|l| *l >= HEADER_LEN && *l <= b.len())
            .ok_or(BatchError::Corrupt("bad batch length"))?;
        if b[16] != 2 {
            return Err(BatchError::Corrupt("magic is not 2"));
        }
        let crc = u32::from_be_bytes(be(b, 17)?);
        if crc32c::crc32c(&b[21..byte_len]) != crc {
            return Err(BatchError::Corrupt("CRC mismatch"));
        }
        let attributes = i16::from_be_bytes(be(b, 21)?);
        let records_count = i32::from_be_bytes(be(b, 57)?);
        if records_count < 0 {
            return Err(BatchError::Corrupt("negative record count"));
        }
        Ok(BatchInfo {
            byte_len,
            attributes,
            last_offset_delta: i32::from_be_bytes(be(b, 23)?),
            base_timestamp: i64::from_be_bytes(be(b, 27)?),
            max_timestamp: i64::from_be_bytes(be(b, 35)?),
            producer_id: i64::from_be_bytes(be(b, 43)?),
            producer_epoch: i16::from_be_bytes(be(b, 51)?),
            base_sequence: i32::from_be_bytes(be(b, 53)?),
            records_count,
            is_transactional: attributes & 0x10 != 0,
            is_control: attributes & 0x20 != 0,
        })
    }

    /// The batches of a produce request's records, in order.
    pub fn validate_batches(
        records: &[u8],
        _max_decompressed: usize,
    ) -> Result<Vec<BatchInfo>, BatchError> {
        let mut out = Vec::new();
        let mut rest = records;
        while !rest.is_empty() {
            let info = header(rest)?;
            rest = &rest[info.byte_len..];
            out.push(info);
        }
        if out.is_empty() {
            return Err(BatchError::Corrupt("no batches"));
        }
        Ok(out)
    }

    struct Cursor<'a> {
        buf: &'a [u8],
        pos: usize,
    }

    impl Cursor<'_> {
        fn varlong(&mut self) -> Result<i64, BatchError> {
            let mut v: u64 = 0;
            for shift in (0..64).step_by(7) {
                let byte = *self
                    .buf
                    .get(self.pos)
                    .ok_or(BatchError::Corrupt("truncated varint"))?;
                self.pos += 1;
                v |= u64::from(byte & 0x7f) << shift;
                if byte & 0x80 == 0 {
                    return Ok((v >> 1) as i64 ^ -((v & 1) as i64));
                }
            }
            Err(BatchError::Corrupt("varint too long"))
        }

        fn bytes(&mut self, whole: &Bytes) -> Result<Option<Bytes>, BatchError> {
            let len = self.varlong()?;
            if len < 0 {
                return Ok(None);
            }
            let end = usize::try_from(len)
                .ok()
                .and_then(|l| self.pos.checked_add(l))
                .filter(|e| *e <= self.buf.len())
                .ok_or(BatchError::Corrupt("field longer than the batch"))?;
            let b = whole.slice(self.pos..end);
            self.pos = end;
            Ok(Some(b))
        }
    }

    /// The records of one uncompressed batch, with absolute offsets.
    pub fn decode_records(
        batch: &[u8],
        _max_decompressed: usize,
    ) -> Result<Vec<Record>, BatchError> {
        let info = header(batch)?;
        if info.attributes & 0x07 != 0 {
            return Err(BatchError::Unsupported(
                "compressed batches are not decoded by the shim",
            ));
        }
        let base_offset = i64::from_be_bytes(be(batch, 0)?);
        let whole = Bytes::copy_from_slice(&batch[..info.byte_len]);
        let mut c = Cursor {
            buf: &batch[..info.byte_len],
            pos: HEADER_LEN,
        };
        let mut out = Vec::new();
        for _ in 0..info.records_count {
            let _len = c.varlong()?;
            c.pos += 1; // record attributes
            let ts_delta = c.varlong()?;
            let offset_delta = c.varlong()?;
            let key = c.bytes(&whole)?;
            let value = c.bytes(&whole)?;
            let n_headers = c.varlong()?;
            let mut headers = Vec::new();
            for _ in 0..n_headers.max(0) {
                let k = c.bytes(&whole)?.unwrap_or_default();
                let v = c.bytes(&whole)?;
                headers.push((k, v));
            }
            out.push(Record {
                offset: base_offset.saturating_add(offset_delta),
                timestamp: info.base_timestamp.saturating_add(ts_delta),
                key,
                value,
                headers,
            });
        }
        Ok(out)
    }
}

/// `crate::protocol::versions`: the version table.
pub mod versions {
    use kafka_protocol::messages::ApiKey;

    /// (api_key, min_version, max_version) of every API this broker serves.
    pub fn api_versions_entries() -> Vec<(i16, i16, i16)> {
        vec![
            (ApiKey::Produce as i16, 3, 11),
            (ApiKey::Fetch as i16, 4, 16),
            (ApiKey::ListOffsets as i16, 1, 8),
            (ApiKey::Metadata as i16, 0, 12),
            (ApiKey::ApiVersions as i16, 0, 4),
            (ApiKey::CreateTopics as i16, 2, 7),
            (ApiKey::DeleteTopics as i16, 1, 6),
            (ApiKey::CreatePartitions as i16, 0, 3),
        ]
    }
}
