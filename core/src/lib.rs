//! pg_kafka's engine, free of pgrx so that plain `cargo test` covers it without Postgres.
//!
//! It owns the Kafka protocol (framing, request guard, record batches), the in-memory partition
//! logs, the single-writer group-commit logic, the broker handlers and the network. The Postgres
//! side (`pg_kafka` crate, `src/pg/`) supplies a [`store::Store`] backed by SPI and drives
//! [`writer::Writer`] from the background worker's main thread; nothing here calls Postgres.

pub mod acl;
pub mod auth;
pub mod broker;
pub mod cleaner;
pub mod clock;
pub mod config;
pub mod error;
pub mod failpoint;
pub mod group;
pub mod log;
pub mod net;
pub mod protocol;
pub mod recovery;
pub mod store;
pub mod txn;
pub mod writer;
