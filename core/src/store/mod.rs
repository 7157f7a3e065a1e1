//! The durable store as the engine sees it: a trait the writer commits through and recovery reads
//! from, plus [`MemStore`], an in-memory implementation for unit tests.
//!
//! The Postgres implementation (SPI, `src/pg/store.rs`) lives on the pgrx side. A store call is
//! made only from the worker's main thread. `commit` is all-or-nothing: on `Err` nothing of the
//! write set is durable and the caller leaves memory untouched.

mod mem;

use std::collections::BTreeMap;

use uuid::Uuid;

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

/// A partition's durable head: the next offset to assign and the first offset still readable.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PartitionRow {
    pub topic_id: Uuid,
    pub partition: i32,
    pub next_offset: i64,
    pub log_start_offset: i64,
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

/// Topics and partition heads, as recovery reads them, plus consumer groups and their offsets.
#[derive(Debug, Default, Clone)]
pub struct Snapshot {
    pub topics: Vec<TopicRow>,
    pub partitions: Vec<PartitionRow>,
    pub groups: Vec<GroupRow>,
    pub offsets: Vec<OffsetRow>,
}

/// Everything one group commit writes, in one transaction.
#[derive(Debug, Default)]
pub struct WriteSet {
    pub create_topics: Vec<TopicRow>,
    pub delete_topics: Vec<Uuid>,
    /// (topic, old partition count, new partition count)
    pub add_partitions: Vec<(Uuid, i32, i32)>,
    pub appends: Vec<(Uuid, i32, Batch)>,
    /// New heads of every partition this write set appends to, and of partitions whose log
    /// start moved (DeleteRecords): both columns are set as given. Batches wholly below
    /// `log_start_offset` are never read again and may be deleted.
    pub heads: Vec<PartitionRow>,
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
}

impl WriteSet {
    pub fn is_empty(&self) -> bool {
        self.create_topics.is_empty()
            && self.delete_topics.is_empty()
            && self.add_partitions.is_empty()
            && self.appends.is_empty()
            && self.heads.is_empty()
            && self.put_groups.is_empty()
            && self.delete_groups.is_empty()
            && self.topic_configs.is_empty()
            && self.commit_offsets.is_empty()
            && self.delete_offsets.is_empty()
    }
}

/// The durable store. Implementations must make `commit` atomic.
pub trait Store {
    /// Every topic and partition head, every consumer group and committed offset.
    fn load_topics(&mut self) -> Result<Snapshot, StoreError>;
    /// The newest batches of a partition whose sizes add up to at most `budget` (at least the
    /// newest one, if any), in ascending offset order.
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
}
