//! Protocol-layer tests: the pre-decode guard against every schema, RecordBatch validation,
//! stamping and decoding, and property tests over both. `samples` holds one request per API and
//! version and a RecordBatch encoder, shared with the broker tests and the fuzz test.

mod batch;
mod frame;
mod guard;
mod properties;
pub(crate) mod samples;
mod versions;
