//! The pre-decode guard: walks a request body against its schema before `kafka_protocol` may
//! decode it.
//!
//! Why: `kafka_protocol` 0.18 pre-allocates `Vec::with_capacity(count)` from every wire array
//! count, so a tiny frame claiming 2^31-1 elements aborts the process. The walk proves every
//! count is backed by bytes and the body is consumed exactly, so the decoder's allocations stay
//! proportional to the frame.
//!
//! Owns: structural validation of request bodies and the call into `kafka_protocol` decode.
//! Must not touch: semantics (null where not allowed, UTF-8, value ranges: the decoder and the
//! handlers check those). Invariants: the walker allocates nothing; each array count is checked
//! against the bytes remaining before any element is walked; known tagged fields are walked
//! within their declared size and must fill it exactly. Bytes after a complete body are ignored,
//! as Kafka's brokers do: librdkafka up to at least 2.16 sends three of them after some Metadata
//! v12 requests (librdkafka issue 5049).

use bytes::Bytes;
use kafka_protocol::messages::{ApiKey, RequestKind};

use super::frame::{Cursor, RequestHead};
use super::schema::{ApiSchema, Kind, Struct, Tagged};
use super::versions;
use super::ProtocolError;

/// Walk the body of `frame` (after `head.header_len`) and only then decode it.
pub fn decode_request(head: &RequestHead, frame: Bytes) -> Result<RequestKind, ProtocolError> {
    let unsupported = ProtocolError::Unsupported {
        api_key: head.api_key,
        version: head.api_version,
    };
    if !versions::supported(head.api_key, head.api_version) {
        return Err(unsupported);
    }
    let (Some(row), Ok(key)) = (
        versions::lookup(head.api_key),
        ApiKey::try_from(head.api_key),
    ) else {
        return Err(unsupported);
    };
    if head.header_len > frame.len() {
        return Err(ProtocolError::Malformed("header longer than frame".into()));
    }
    let body = frame.slice(head.header_len..);
    let len = walk_body(row.schema, head.api_version, &body).map_err(ProtocolError::Malformed)?;
    // kafka-protocol decodes exactly the walked bytes.
    let mut body = body.slice(..len);
    RequestKind::decode(key, &mut body, head.api_version)
        .map_err(|e| ProtocolError::Malformed(format!("{e:#}")))
}

/// Check that `body` starts with one well-formed `schema` body at `version`; returns its length
/// (bytes after it are the caller's to ignore).
pub fn walk_body(schema: &ApiSchema, version: i16, body: &[u8]) -> Result<usize, String> {
    let mut w = Walker {
        c: Cursor::new(body),
        version,
        flexible: version >= schema.flexible_since,
    };
    w.structure(&schema.body)?;
    Ok(body.len() - w.c.remaining())
}

struct Walker<'a> {
    c: Cursor<'a>,
    version: i16,
    flexible: bool,
}

impl Walker<'_> {
    fn structure(&mut self, s: &Struct) -> Result<(), String> {
        let version = self.version;
        for f in s.fields.iter().filter(|f| f.present(version)) {
            self.kind(&f.kind)?;
        }
        if self.flexible {
            self.tagged_fields(s.tagged)?;
        }
        Ok(())
    }

    fn kind(&mut self, k: &Kind) -> Result<(), String> {
        match k {
            Kind::Fixed(n) => self.c.take(*n).map(drop),
            Kind::Str => {
                if let Some(len) = self.length(false)? {
                    self.c.take(len)?;
                }
                Ok(())
            }
            Kind::Bytes => {
                if let Some(len) = self.length(true)? {
                    self.c.take(len)?;
                }
                Ok(())
            }
            Kind::Array(elem) => {
                let Some(count) = self.length(true)? else {
                    return Ok(());
                };
                // Every element we accept occupies at least one byte, except a struct whose
                // fields are all absent in this version; bounding by the bytes left keeps the
                // decoder's pre-allocation proportional to the frame either way.
                if count > self.c.remaining() {
                    return Err(format!(
                        "array count {count} exceeds the {} bytes left",
                        self.c.remaining()
                    ));
                }
                for _ in 0..count {
                    self.kind(elem)?;
                }
                Ok(())
            }
            Kind::Struct(s) => self.structure(s),
            Kind::OptionStruct(s) => {
                if self.c.take(1)? == [1] {
                    self.structure(s)?;
                }
                Ok(())
            }
        }
    }

    /// Read a nullable length or count: `None` for null. `wide` picks i32 over i16 for the
    /// classic encoding; flexible versions use an unsigned varint holding length + 1.
    fn length(&mut self, wide: bool) -> Result<Option<usize>, String> {
        let n: i64 = if self.flexible {
            i64::from(self.c.uvarint()?) - 1
        } else if wide {
            i64::from(self.c.i32()?)
        } else {
            i64::from(self.c.i16()?)
        };
        match n {
            -1 => Ok(None),
            n if n < 0 => Err(format!("negative length {n}")),
            n => usize::try_from(n)
                .map(Some)
                .map_err(|_| "length does not fit".to_string()),
        }
    }

    fn tagged_fields(&mut self, known: &[Tagged]) -> Result<(), String> {
        let count = self.c.uvarint()?;
        // Each tagged field takes at least two bytes (tag and size).
        if count as usize > self.c.remaining() / 2 {
            return Err(format!("{count} tagged fields cannot fit"));
        }
        for _ in 0..count {
            let tag = self.c.uvarint()?;
            let size = self.c.uvarint()? as usize;
            let value = self.c.take(size)?;
            let version = self.version;
            let field = known.iter().find(|t| t.tag == tag && t.present(version));
            if field.is_none() && known.iter().any(|t| t.tag == tag) {
                // The decoder refuses a known tag outside its versions, so the walker does too.
                return Err(format!(
                    "tagged field {tag} is not valid at version {version}"
                ));
            }
            if let Some(field) = field {
                // The decoder reads a known tag's value straight from the stream, ignoring the
                // declared size, so the value must be exactly one well-formed field.
                let mut inner = Walker {
                    c: Cursor::new(value),
                    version: self.version,
                    flexible: self.flexible,
                };
                inner.kind(&field.kind)?;
                if inner.c.remaining() != 0 {
                    return Err(format!("tagged field {tag} does not fill its {size} bytes"));
                }
            }
        }
        Ok(())
    }
}
