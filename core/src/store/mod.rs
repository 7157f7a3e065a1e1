//! The durable store as the engine sees it: a trait the writer commits through and recovery reads
//! from, plus [`MemStore`], an in-memory implementation for unit tests.
//!
//! The Postgres implementation (SPI, `src/pg/store.rs`) lives on the pgrx side. A store call is
//! made only from the worker's main thread. `commit` is all-or-nothing: on `Err` nothing of the
//! write set is durable and the caller leaves memory untouched.

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
mod mem;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use uuid::Uuid;

use crate::acl::{AclBinding, AclFilter, AclState};

use crate::log::Batch;

pub use mem::MemStore;

/// A failed store call. The message is for the server log; clients see KAFKA_STORAGE_ERROR.
#[derive(Debug, Clone, thiserror::Error)]
#[error("store: {0}")]
pub struct StoreError(pub String);

/// A topic as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicRow {
    pub id: Uuid,
    pub name: String,
    pub partitions: i32,
    pub configs: BTreeMap<String, String>,
}

/// A partition's durable head: the next offset to assign and the first offset still readable,
/// with what it stores and how far compaction got.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PartitionRow {
    pub topic_id: Uuid,
    pub partition: i32,
    pub next_offset: i64,
    pub log_start_offset: i64,
    /// Bytes and count of its stored batches (rows below the log start included until the
    /// cleaner removes them). Written with every head.
    pub stored_bytes: i64,
    pub stored_batches: i64,
    /// Compaction: every batch below `cleaned_offset` was compacted, last at `cleaned_at_ms`.
    /// Loaded with the head; written only by `WriteSet::cleaned`.
    pub cleaned_offset: i64,
    pub cleaned_at_ms: Option<i64>,
}

/// A stored batch's columns without its bytes: what the cleaner plans from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchMeta {
    pub base_offset: i64,
    pub last_offset: i64,
    pub max_timestamp: i64,
    pub attributes: i16,
    pub producer_id: i64,
    pub base_sequence: i32,
    /// Bytes of the stored batch.
    pub size: usize,
    /// When the cleaner may drop its tombstones and markers (set the first time it kept them).
    pub delete_horizon_ms: Option<i64>,
}

/// A consumer group's committed offset for one partition.
#[derive(Debug, Clone, PartialEq)]
pub struct OffsetRow {
    pub group_id: String,
    pub topic_id: Uuid,
    pub partition: i32,
    pub committed_offset: i64,
    pub leader_epoch: i32,
    pub metadata: Option<String>,
    /// Milliseconds since the epoch.
    pub commit_timestamp: i64,
}

/// An offset that expires unless it was committed again at or after `before_ms`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpiredOffset {
    pub group_id: String,
    pub topic_id: Uuid,
    pub partition: i32,
    pub before_ms: i64,
}

/// A member of a consumer group as stored (classic protocol).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MemberRow {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub session_timeout_ms: i32,
    pub rebalance_timeout_ms: i32,
    /// The member's subscription metadata for the group's chosen protocol.
    pub metadata: Vec<u8>,
    /// The assignment the leader gave this member in the current generation.
    pub assignment: Vec<u8>,
}

/// A consumer group's durable metadata: what a restart needs to resume it without a rebalance.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroupRow {
    pub group_id: String,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub generation_id: i32,
    pub leader_id: Option<String>,
    /// Kafka's state name at the time of the write (Empty, Stable, ...).
    pub state: String,
    pub members: Vec<MemberRow>,
}

/// A producer id handed out by InitProducerId. Upserted by `producer_id` whenever the id is
/// allocated or its epoch bumped. Never deleted while a batch of it may be retried; the next id
/// handed out after a restart is `max(producer_id) + 1`, so ids are never reused.
#[derive(Debug, Clone, PartialEq)]
pub struct ProducerRow {
    pub producer_id: i64,
    pub producer_epoch: i16,
    /// The transactional id that owns this producer id, if any.
    pub transactional_id: Option<String>,
}

/// One partition of a transaction: `first_offset` is the offset of the transaction's first batch
/// on it, -1 while nothing was written there yet. The topic may have been deleted since (no
/// foreign key: the row is dropped when the transaction's row is next replaced).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TxnPartitionRow {
    pub topic_id: Uuid,
    pub partition: i32,
    pub first_offset: i64,
}

/// A transactional id's coordinator state. Upserted whole by `transactional_id` (the partition
/// list replaces the stored one). Kafka's state names: Empty, Ongoing, PrepareCommit,
/// PrepareAbort, CompleteCommit, CompleteAbort.
#[derive(Debug, Clone, PartialEq)]
pub struct TxnRow {
    pub transactional_id: String,
    pub producer_id: i64,
    pub producer_epoch: i16,
    /// The epoch before the last bump by a timeout abort (-1 if none): its producer may still
    /// abort (a no-op) and re-initialise instead of being fenced (KIP-360).
    pub last_producer_epoch: i16,
    pub state: String,
    pub timeout_ms: i32,
    /// Milliseconds since the epoch at which the current transaction started (-1 when none).
    pub start_timestamp: i64,
    pub partitions: Vec<TxnPartitionRow>,
}

/// An aborted transaction on one partition: its producer, its first offset there and the offset
/// of its abort marker. Insert-only; removed with the topic. Read-committed Fetch lists the ones
/// overlapping the returned range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AbortedTxnRow {
    pub topic_id: Uuid,
    pub partition: i32,
    pub producer_id: i64,
    pub first_offset: i64,
    pub last_offset: i64,
}

/// A batch's producer fields, as recovery needs them to rebuild sequence state. Not a table of
/// its own: derived from the batches table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProducerBatchRow {
    pub topic_id: Uuid,
    pub partition: i32,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub record_count: i32,
    pub base_offset: i64,
    pub last_offset: i64,
}

/// Topics and partition heads, as recovery reads them, plus consumer groups and their offsets,
/// and producer and transaction state.
#[derive(Debug, Default, Clone)]
pub struct Snapshot {
    pub topics: Vec<TopicRow>,
    pub partitions: Vec<PartitionRow>,
    pub groups: Vec<GroupRow>,
    pub offsets: Vec<OffsetRow>,
    /// Every producer row.
    pub producers: Vec<ProducerRow>,
    /// Every transaction row.
    pub transactions: Vec<TxnRow>,
    /// Every aborted-transaction row.
    pub aborted_txns: Vec<AbortedTxnRow>,
    /// For each (topic, partition, producer id >= 0): its newest batches that are not control
    /// batches, at most [`PRODUCER_BATCHES_KEPT`] of them, by
    /// base_offset. SQL: a window function over the batches table, newest first per producer.
    pub producer_batches: Vec<ProducerBatchRow>,
}

/// A Postgres role as a login sees it (`pg_authid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRow {
    pub can_login: bool,
    pub superuser: bool,
    /// VALID UNTIL as ms since the epoch (None: no limit).
    pub valid_until_ms: Option<i64>,
    /// `rolpassword`: a SCRAM-SHA-256 verifier, an md5 hash, or none.
    pub password: Option<String>,
}

/// One `kafka.audit_log` row: who asked for what on which resource, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// `User:<role>` or `User:ANONYMOUS`.
    pub principal: String,
    pub client_address: String,
    pub client_id: String,
    /// The Kafka API (`CreateTopics`).
    pub action: String,
    /// `TOPIC`, `GROUP`, `BROKER`, ... as the request names the resource.
    pub resource_type: String,
    pub resource_name: String,
    /// `OK`, or Kafka's error name (`TOPIC_AUTHORIZATION_FAILED`).
    pub outcome: String,
    /// JSON: what the request asked (partition counts, config names, ACL bindings, offsets).
    pub detail: String,
}

/// How many recent batches per (producer, partition) sequence checks remember (Kafka's five).
pub const PRODUCER_BATCHES_KEPT: usize = 5;

/// Everything one group commit writes, in one transaction. A write set holds at most one row per
/// key of each upserted kind (producer_id, transactional_id), so `INSERT ... ON CONFLICT DO
/// UPDATE` can take each list whole. Group changes are applied in this order: expiries, group
/// deletes (with their offsets), group rows, offset deletes, offset commits; the writer merges
/// them so that this order gives what the commands gave one after another.
#[derive(Debug, Default)]
pub struct WriteSet {
    pub create_topics: Vec<TopicRow>,
    pub delete_topics: Vec<Uuid>,
    /// (topic, old partition count, new partition count)
    pub add_partitions: Vec<(Uuid, i32, i32)>,
    pub appends: Vec<(Uuid, i32, Batch)>,
    /// New heads of every partition this write set appends to, and of partitions whose log
    /// start moved (DeleteRecords, retention) or whose stored batches changed (the cleaner):
    /// next offset, log start and the stored counts are set as given. Batches wholly below
    /// `log_start_offset` are never read again and may be deleted.
    pub heads: Vec<PartitionRow>,
    /// Expired offsets and groups, removed first, each only if still expired: an offset not
    /// committed again since, a group with generation 0, no members and no offsets left.
    pub expire_offsets: Vec<ExpiredOffset>,
    pub expire_groups: Vec<String>,
    /// Groups to insert or replace (members included).
    pub put_groups: Vec<GroupRow>,
    /// Groups to remove with their offsets.
    pub delete_groups: Vec<String>,
    /// Topics whose whole config map is replaced: `UPDATE kafka.topics SET configs = <map>
    /// WHERE topic_id = <id>` (names absent from the map revert to Kafka's defaults).
    pub topic_configs: Vec<(Uuid, BTreeMap<String, String>)>,
    /// Offsets to insert or replace.
    pub commit_offsets: Vec<OffsetRow>,
    /// (group, topic, partition) offsets to remove.
    pub delete_offsets: Vec<(String, Uuid, i32)>,
    /// Producer rows to insert or replace (by producer_id).
    pub put_producers: Vec<ProducerRow>,
    /// Transaction rows to insert or replace (by transactional_id).
    pub put_transactions: Vec<TxnRow>,
    /// Aborted-transaction rows to insert.
    pub aborted_txns: Vec<AbortedTxnRow>,
    /// (topic, partition, log start): aborted-transaction rows ending below the log start are
    /// no longer needed by any read and are removed.
    pub trim_aborted: Vec<(Uuid, i32, i64)>,
    /// Expired producer ids and transactional ids to remove (after the upserts above).
    pub delete_producers: Vec<i64>,
    pub delete_transactions: Vec<String>,
    /// The cleaner's changes, applied after the appends: (topic, partition, base offset) of
    /// batches removed; rebuilt batches replacing the stored one at their base offset; (topic,
    /// partition, base offset, ms) delete horizons set; (topic, partition, offset, ms) how far
    /// compaction got, and when.
    pub delete_batches: Vec<(Uuid, i32, i64)>,
    pub replace_batches: Vec<(Uuid, i32, Batch)>,
    pub delete_horizons: Vec<(Uuid, i32, i64, i64)>,
    pub cleaned: Vec<(Uuid, i32, i64, i64)>,
}

impl WriteSet {
    pub fn is_empty(&self) -> bool {
        self.create_topics.is_empty()
            && self.delete_topics.is_empty()
            && self.add_partitions.is_empty()
            && self.appends.is_empty()
            && self.heads.is_empty()
            && self.expire_offsets.is_empty()
            && self.expire_groups.is_empty()
            && self.put_groups.is_empty()
            && self.delete_groups.is_empty()
            && self.topic_configs.is_empty()
            && self.commit_offsets.is_empty()
            && self.delete_offsets.is_empty()
            && self.put_producers.is_empty()
            && self.put_transactions.is_empty()
            && self.aborted_txns.is_empty()
            && self.trim_aborted.is_empty()
            && self.delete_producers.is_empty()
            && self.delete_transactions.is_empty()
            && self.delete_batches.is_empty()
            && self.replace_batches.is_empty()
            && self.delete_horizons.is_empty()
            && self.cleaned.is_empty()
    }
}

/// The durable store. Implementations must make `commit` atomic.
pub trait Store {
    /// Every topic and partition head, every consumer group and committed offset.
    fn load_topics(&mut self) -> Result<Snapshot, StoreError>;
    /// The newest batches of a partition whose sizes add up to at most `budget` (none when the
    /// newest alone is larger), in ascending offset order.
    fn load_tail(
        &mut self,
        topic: Uuid,
        partition: i32,
        budget: usize,
    ) -> Result<Vec<Batch>, StoreError>;
    /// Commit a write set atomically.
    fn commit(&mut self, ws: &WriteSet) -> Result<(), StoreError>;
    /// Whole batches from the one holding `from_offset`, ascending, adding batches while the
    /// total stays within `max_bytes` (the first one always).
    fn read_batches(
        &mut self,
        topic: Uuid,
        partition: i32,
        from_offset: i64,
        max_bytes: usize,
    ) -> Result<Vec<Batch>, StoreError>;
    /// The first batch, by offset, at or after `from_offset`, whose max timestamp is ≥ `timestamp`.
    fn find_by_timestamp(
        &mut self,
        topic: Uuid,
        partition: i32,
        from_offset: i64,
        timestamp: i64,
    ) -> Result<Option<Batch>, StoreError>;
    /// The batch at or after `from_offset` holding the largest timestamp (the first such).
    fn find_max_timestamp(
        &mut self,
        topic: Uuid,
        partition: i32,
        from_offset: i64,
    ) -> Result<Option<Batch>, StoreError>;
    /// The columns of up to `max_rows` batches ending at or after `from_offset`, ascending.
    fn batch_metadata(
        &mut self,
        topic: Uuid,
        partition: i32,
        from_offset: i64,
        max_rows: usize,
    ) -> Result<Vec<BatchMeta>, StoreError>;
    /// The role named `name` (exactly), for a login.
    fn role(&mut self, name: &str) -> Result<Option<RoleRow>, StoreError>;
    /// (name, verifier) of up to `limit` roles with a SCRAM-SHA-256 password, by name.
    fn scram_roles(&mut self, limit: usize) -> Result<Vec<(String, String)>, StoreError>;
    /// Up to `limit` ACL bindings (`truncated` when there are more), the superusers, and for
    /// each role the roles it is a member of that some binding names.
    fn acl_state(&mut self, limit: usize) -> Result<AclState, StoreError>;
    /// Add ACL bindings, as `by` (a principal); bindings already stored are left as they are.
    fn create_acls(&mut self, bindings: &[AclBinding], by: &str) -> Result<(), StoreError>;
    /// Append audit rows, in one transaction.
    fn append_audit(&mut self, rows: &[AuditRow]) -> Result<(), StoreError>;
    /// Remove the bindings each filter matches, in one transaction; per filter, what it removed
    /// (a binding two filters match is reported by the first).
    fn delete_acls(&mut self, filters: &[AclFilter]) -> Result<Vec<Vec<AclBinding>>, StoreError>;
}

/// Most ACL bindings read into memory; past this only superusers are authorized (see
/// [`AclState::truncated`]).
pub const MAX_ACL_BINDINGS: usize = 100_000;
