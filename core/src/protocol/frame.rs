//! Request header parsing and response framing.
//!
//! Owns: the request header (our own parser, so an unknown key or a hostile header never reaches
//! `kafka_protocol`) and the response frame (size prefix + response header + body).
//! Must not touch: request bodies (the guard owns those), sockets.
//! Invariants: `parse_head` never reads past the frame and allocates at most the client id,
//! whose length is checked against the bytes present; `header_len` is where the body starts.

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, ResponseKind};

use super::ProtocolError;

/// The parsed request header. The frame excludes the 4-byte size prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    pub api_key: i16,
    pub api_version: i16,
    pub correlation_id: i32,
    pub client_id: Option<String>,
    /// Bytes of header at the start of the frame; the body follows.
    pub header_len: usize,
}

/// A bounds-checked reader over a borrowed slice, shared with the guard's walker.
pub(crate) struct Cursor<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Cursor { buf, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| format!("need {n} bytes at offset {}, frame ends", self.pos))?;
        let out = self.buf.get(self.pos..end).ok_or("slice out of range")?;
        self.pos = end;
        Ok(out)
    }

    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let s = self.take(N)?;
        s.try_into().map_err(|_| "short read".to_string())
    }

    pub fn i16(&mut self) -> Result<i16, String> {
        Ok(i16::from_be_bytes(self.array()?))
    }

    pub fn i32(&mut self) -> Result<i32, String> {
        Ok(i32::from_be_bytes(self.array()?))
    }

    /// Unsigned varint as Kafka's flexible versions use it: at most 5 bytes, fitting a u32.
    pub fn uvarint(&mut self) -> Result<u32, String> {
        let mut value: u32 = 0;
        for i in 0..5 {
            let [b] = self.array::<1>()?;
            if i == 4 && b > 0x0f {
                return Err("unsigned varint overflows u32".into());
            }
            value |= u32::from(b & 0x7f) << (i * 7);
            if b < 0x80 {
                return Ok(value);
            }
        }
        Err("unsigned varint longer than 5 bytes".into())
    }

    /// Skip a tagged-field section: count, then (tag, size, size bytes) per field.
    pub fn skip_tagged_fields(&mut self) -> Result<(), String> {
        let count = self.uvarint()?;
        for _ in 0..count {
            self.uvarint()?;
            let size = self.uvarint()?;
            self.take(size as usize)?;
        }
        Ok(())
    }
}

/// Parse the request header. For an unknown key the v1 header is assumed, so the caller can
/// still answer with the correlation id.
pub fn parse_head(frame: &[u8]) -> Result<RequestHead, ProtocolError> {
    parse_head_inner(frame).map_err(ProtocolError::Malformed)
}

fn parse_head_inner(frame: &[u8]) -> Result<RequestHead, String> {
    let mut c = Cursor::new(frame);
    let api_key = c.i16()?;
    let api_version = c.i16()?;
    let correlation_id = c.i32()?;
    let header_version = ApiKey::try_from(api_key)
        .map(|k| k.request_header_version(api_version))
        .unwrap_or(1);
    let client_id = if header_version >= 1 {
        // Always the classic i16 string, even in header v2: the header predates compact strings.
        match c.i16()? {
            -1 => None,
            n if n < 0 => return Err(format!("client_id length {n}")),
            n => Some(String::from_utf8_lossy(c.take(n as usize)?).into_owned()),
        }
    } else {
        None
    };
    if header_version >= 2 {
        c.skip_tagged_fields()?;
    }
    Ok(RequestHead {
        api_key,
        api_version,
        correlation_id,
        client_id,
        header_len: c.pos,
    })
}

/// Encode a complete response frame, including the 4-byte size prefix, with the response header
/// version the API and version call for (ApiVersions always uses header v0, so that a client
/// that sent a version we do not know can still read our answer).
pub fn encode_response(
    correlation_id: i32,
    api_key: i16,
    api_version: i16,
    response: &ResponseKind,
) -> Result<Bytes, ProtocolError> {
    let key = ApiKey::try_from(api_key).map_err(|_| ProtocolError::Unsupported {
        api_key,
        version: api_version,
    })?;
    let header_version = if key == ApiKey::ApiVersions {
        0
    } else {
        key.response_header_version(api_version)
    };
    let mut buf = BytesMut::with_capacity(64);
    buf.put_i32(0); // size, patched below
    buf.put_i32(correlation_id);
    if header_version >= 1 {
        buf.put_u8(0); // empty tagged-field section
    }
    response
        .encode(&mut buf, api_version)
        .map_err(|e| ProtocolError::Encode(format!("{e:#}")))?;
    let size = i32::try_from(buf.len() - 4).map_err(|_| ProtocolError::TooLarge)?;
    if let Some(prefix) = buf.get_mut(0..4) {
        prefix.copy_from_slice(&size.to_be_bytes());
    }
    Ok(buf.freeze())
}
