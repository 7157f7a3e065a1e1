//! Request body schemas as data: which fields each API version carries, in wire order, and their
//! wire kinds. The guard walks these tables; nothing here reads bytes.
//!
//! Owns: the shape of every request we decode. Must not touch: decoding, allocation, handlers.
//! Invariants: a schema lists every field `kafka_protocol` reads for the versions we serve, in
//! the same order and with the same version ranges; known tagged fields are listed so the walker
//! can check them (their decoders read unbounded from the stream). Adding an API = one file here
//! with one `ApiSchema`, its `pub mod` line, and one row in `versions.rs`.

pub mod add_offsets_to_txn;
pub mod add_partitions_to_txn;
pub mod alter_configs;
pub mod alter_user_scram_credentials;
pub mod api_versions;
pub mod consumer_group_describe;
pub mod consumer_group_heartbeat;
pub mod create_acls;
pub mod create_partitions;
pub mod create_topics;
pub mod delete_acls;
pub mod delete_groups;
pub mod delete_records;
pub mod delete_topics;
pub mod describe_acls;
pub mod describe_cluster;
pub mod describe_configs;
pub mod describe_groups;
pub mod describe_log_dirs;
pub mod describe_producers;
pub mod describe_topic_partitions;
pub mod describe_transactions;
pub mod describe_user_scram_credentials;
pub mod elect_leaders;
pub mod end_txn;
pub mod fetch;
pub mod find_coordinator;
pub mod heartbeat;
pub mod incremental_alter_configs;
pub mod init_producer_id;
pub mod join_group;
pub mod leave_group;
pub mod list_groups;
pub mod list_offsets;
pub mod list_partition_reassignments;
pub mod list_transactions;
pub mod metadata;
pub mod offset_commit;
pub mod offset_delete;
pub mod offset_fetch;
pub mod produce;
pub mod sasl_authenticate;
pub mod sasl_handshake;
pub mod sync_group;
pub mod txn_offset_commit;

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
