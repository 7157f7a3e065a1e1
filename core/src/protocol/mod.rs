//! Bytes on the wire: request framing and header, the pre-decode guard that keeps wire counts from
//! reaching an allocator, the version table behind ApiVersions, and RecordBatch v2 checks.
//!
//! Owns: everything between a length-delimited frame and a typed `kafka_protocol` request, and
//! between a typed response and the bytes written back. Must not touch: sockets, partition state,
//! the store; nothing here knows about topics beyond their bytes.
//!
//! Invariants: no input can panic or allocate from an unchecked wire length; every request body
//! is walked against its schema before `kafka_protocol` sees it; a key/version missing from the
//! version table is never decoded.

pub mod batch;
pub mod compression;
pub mod frame;
pub mod guard;
pub mod schema;
pub mod versions;

#[cfg(test)]
pub(crate) mod tests;

pub use batch::{decode_records, validate_batches, BatchError, BatchInfo, Record};
pub use compression::Compression;
pub use frame::{encode_response, parse_head, RequestHead};
pub use guard::decode_request;
pub use versions::{api_versions_entries, coverage_markdown, supported};

/// The protocol layer's error: why a frame could not become a request or a response bytes.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProtocolError {
    /// The bytes do not follow the wire format (short, trailing, bad lengths, bad UTF-8).
    #[error("malformed request: {0}")]
    Malformed(String),
    /// The API key or version is not in the version table; nothing was decoded.
    #[error("unsupported api_key {api_key} version {version}")]
    Unsupported { api_key: i16, version: i16 },
    /// An encoded response does not fit the i32 size prefix.
    #[error("frame too large")]
    TooLarge,
    /// `kafka_protocol` refused to encode a response (a field not representable at that version).
    #[error("cannot encode response: {0}")]
    Encode(String),
}
