//! Request body schemas as data: which fields each API version carries, in wire order, and their
//! wire kinds. The guard walks these tables; nothing here reads bytes.
//!
//! Owns: the shape of every request we decode. Must not touch: decoding, allocation, handlers.
//! Invariants: a schema lists every field `kafka_protocol` reads for the versions we serve, in
//! the same order and with the same version ranges; known tagged fields are listed so the walker
//! can check them (their decoders read unbounded from the stream). Adding an API = one file here
//! with one `ApiSchema` plus one row in `versions.rs`.

mod add_offsets_to_txn;
mod add_partitions_to_txn;
mod alter_configs;
mod api_versions;
mod consumer_group_describe;
mod consumer_group_heartbeat;
mod create_partitions;
mod create_topics;
mod delete_groups;
mod delete_records;
mod delete_topics;
mod describe_cluster;
mod describe_configs;
mod describe_groups;
mod describe_log_dirs;
mod describe_producers;
mod describe_topic_partitions;
mod describe_transactions;
mod elect_leaders;
mod end_txn;
mod fetch;
mod find_coordinator;
mod heartbeat;
mod incremental_alter_configs;
mod init_producer_id;
mod join_group;
mod leave_group;
mod list_groups;
mod list_offsets;
mod list_partition_reassignments;
mod list_transactions;
mod metadata;
mod offset_commit;
mod offset_delete;
mod offset_fetch;
mod produce;
mod sync_group;
mod txn_offset_commit;

pub use add_offsets_to_txn::ADD_OFFSETS_TO_TXN;
pub use add_partitions_to_txn::ADD_PARTITIONS_TO_TXN;
pub use alter_configs::ALTER_CONFIGS;
pub use api_versions::API_VERSIONS;
pub use consumer_group_describe::CONSUMER_GROUP_DESCRIBE;
pub use consumer_group_heartbeat::CONSUMER_GROUP_HEARTBEAT;
pub use create_partitions::CREATE_PARTITIONS;
pub use create_topics::CREATE_TOPICS;
pub use delete_groups::DELETE_GROUPS;
pub use delete_records::DELETE_RECORDS;
pub use delete_topics::DELETE_TOPICS;
pub use describe_cluster::DESCRIBE_CLUSTER;
pub use describe_configs::DESCRIBE_CONFIGS;
pub use describe_groups::DESCRIBE_GROUPS;
pub use describe_log_dirs::DESCRIBE_LOG_DIRS;
pub use describe_producers::DESCRIBE_PRODUCERS;
pub use describe_topic_partitions::DESCRIBE_TOPIC_PARTITIONS;
pub use describe_transactions::DESCRIBE_TRANSACTIONS;
pub use elect_leaders::ELECT_LEADERS;
pub use end_txn::END_TXN;
pub use fetch::FETCH;
pub use find_coordinator::FIND_COORDINATOR;
pub use heartbeat::HEARTBEAT;
pub use incremental_alter_configs::INCREMENTAL_ALTER_CONFIGS;
pub use init_producer_id::INIT_PRODUCER_ID;
pub use join_group::JOIN_GROUP;
pub use leave_group::LEAVE_GROUP;
pub use list_groups::LIST_GROUPS;
pub use list_offsets::LIST_OFFSETS;
pub use list_partition_reassignments::LIST_PARTITION_REASSIGNMENTS;
pub use list_transactions::LIST_TRANSACTIONS;
pub use metadata::METADATA;
pub use offset_commit::OFFSET_COMMIT;
pub use offset_delete::OFFSET_DELETE;
pub use offset_fetch::OFFSET_FETCH;
pub use produce::PRODUCE;
pub use sync_group::SYNC_GROUP;
pub use txn_offset_commit::TXN_OFFSET_COMMIT;

/// Wire kind of one field. Strings, bytes and arrays switch to their compact encodings in the
/// API's flexible versions.
#[derive(Debug)]
pub enum Kind {
    /// A fixed-width value: i8/bool = 1, i16 = 2, i32 = 4, i64/f64 = 8, uuid = 16.
    Fixed(usize),
    /// Nullable string: i16 length (-1 null), or compact unsigned varint length + 1 (0 null).
    Str,
    /// Nullable bytes: i32 length (-1 null), or compact unsigned varint length + 1 (0 null).
    Bytes,
    /// Nullable array: i32 count (-1 null), or compact unsigned varint count + 1 (0 null).
    Array(&'static Kind),
    /// A nested struct (ends with its own tagged-field section in flexible versions).
    Struct(&'static Struct),
    /// A nullable struct: an i8 marker (1 present, anything else null), then the struct.
    OptionStruct(&'static Struct),
}

pub const BOOL: Kind = Kind::Fixed(1);
pub const I8: Kind = Kind::Fixed(1);
pub const I16: Kind = Kind::Fixed(2);
pub const I32: Kind = Kind::Fixed(4);
pub const I64: Kind = Kind::Fixed(8);
pub const UUID: Kind = Kind::Fixed(16);
pub const STR: Kind = Kind::Str;
pub const BYTES: Kind = Kind::Bytes;

/// A field present in versions `since..=until`.
#[derive(Debug)]
pub struct Field {
    pub kind: Kind,
    pub since: i16,
    pub until: i16,
}

/// A known tagged field: its tag, versions, and the kind its decoder reads.
#[derive(Debug)]
pub struct Tagged {
    pub tag: u32,
    pub kind: Kind,
    pub since: i16,
    pub until: i16,
}

/// The ordered fields of one struct plus its known tagged fields.
#[derive(Debug)]
pub struct Struct {
    pub fields: &'static [Field],
    pub tagged: &'static [Tagged],
}

/// A request body: the top-level struct and the first flexible version of the API.
#[derive(Debug)]
pub struct ApiSchema {
    pub flexible_since: i16,
    pub body: Struct,
}

/// A field present from `since` on.
pub const fn since(kind: Kind, since: i16) -> Field {
    Field {
        kind,
        since,
        until: i16::MAX,
    }
}

/// A field present in `since..=until` only.
pub const fn between(kind: Kind, since: i16, until: i16) -> Field {
    Field { kind, since, until }
}

/// A field present in every version.
pub const fn always(kind: Kind) -> Field {
    since(kind, 0)
}

impl Field {
    pub fn present(&self, version: i16) -> bool {
        (self.since..=self.until).contains(&version)
    }
}

impl Tagged {
    pub fn present(&self, version: i16) -> bool {
        (self.since..=self.until).contains(&version)
    }
}
