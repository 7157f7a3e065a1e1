//! Bytes on the wire: request framing and header, the pre-decode guard that keeps wire counts from
//! reaching an allocator, the version table behind ApiVersions, and RecordBatch v2 checks.
