//! Handler tests: each file drives one concept through `dispatch` against a real writer over a
//! `MemStore` (see `testkit`), and checks what a client would see.

mod acls;
mod amplification;
mod classic_groups;
mod cleaner;
mod cluster_admin;
mod consumer_protocol;
mod consumer_protocol_offsets;
mod dispatch;
mod group_offsets;
mod idempotence;
mod list_offsets;
mod produce_configs;
mod produce_fetch;
mod rebalance_timeouts;
mod request_limits;
mod sasl;
mod store_failures;
pub(crate) mod testkit;
mod topic_admin;
mod topic_configs;
mod transactions;
