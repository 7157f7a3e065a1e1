//! Reads that memory cannot answer, served by the writer's thread from the store in bounded
//! chunks (the caller's max_bytes, capped here) so that they never hold up a group commit for long.

use tokio::sync::oneshot;
use uuid::Uuid;

use crate::acl::AclState;
use crate::log::Batch;
use crate::store::{BatchMeta, RoleRow, Store, StoreError, MAX_ACL_BINDINGS};

/// Largest chunk one stored read returns, whatever the client asked for.
pub const MAX_READ_CHUNK: usize = 8 * 1024 * 1024;
/// Most batch rows one metadata read returns.
pub const MAX_META_ROWS: usize = 10_000;

/// A read from the store.
#[derive(Debug)]
pub enum ReadQuery {
    /// Batches from `offset`, whole batches up to `max_bytes` (at least one).
    Batches {
        topic: Uuid,
        partition: i32,
        offset: i64,
        max_bytes: usize,
        reply: oneshot::Sender<Result<Vec<Batch>, StoreError>>,
    },
    /// The first batch at or after `from_offset` with a timestamp ≥ `timestamp`.
    ByTimestamp {
        topic: Uuid,
        partition: i32,
        from_offset: i64,
        timestamp: i64,
        reply: oneshot::Sender<Result<Option<Batch>, StoreError>>,
    },
    /// The batch holding the largest timestamp at or after `from_offset`.
    MaxTimestamp {
        topic: Uuid,
        partition: i32,
        from_offset: i64,
        reply: oneshot::Sender<Result<Option<Batch>, StoreError>>,
    },
    /// The columns (no bytes) of up to `max_rows` batches ending at or after `from_offset`.
    Meta {
        topic: Uuid,
        partition: i32,
        from_offset: i64,
        max_rows: usize,
        reply: oneshot::Sender<Result<Vec<BatchMeta>, StoreError>>,
    },
    /// A role, for a SASL login.
    Role {
        name: String,
        reply: oneshot::Sender<Result<Option<RoleRow>, StoreError>>,
    },
    /// Roles with a SCRAM password (DescribeUserScramCredentials of all users).
    ScramRoles {
        reply: oneshot::Sender<Result<Vec<(String, String)>, StoreError>>,
    },
    /// ACL bindings, superusers and role membership (the authorizer's state, DescribeAcls).
    Acls {
        reply: oneshot::Sender<Result<AclState, StoreError>>,
    },
}

impl ReadQuery {
    /// Whether the asker stopped waiting for the answer.
    fn abandoned(&self) -> bool {
        match self {
            ReadQuery::Batches { reply, .. } => reply.is_closed(),
            ReadQuery::ByTimestamp { reply, .. } | ReadQuery::MaxTimestamp { reply, .. } => {
                reply.is_closed()
            }
            ReadQuery::Meta { reply, .. } => reply.is_closed(),
            ReadQuery::Role { reply, .. } => reply.is_closed(),
            ReadQuery::ScramRoles { reply } => reply.is_closed(),
            ReadQuery::Acls { reply } => reply.is_closed(),
        }
    }
}

pub(super) fn serve<S: Store>(store: &mut S, q: ReadQuery) {
    if q.abandoned() {
        // The client went away while the read waited: no work for nobody.
        return;
    }
    match q {
        ReadQuery::Batches {
            topic,
            partition,
            offset,
            max_bytes,
            reply,
        } => {
            let r = store.read_batches(topic, partition, offset, max_bytes.min(MAX_READ_CHUNK));
            let _ = reply.send(r);
        }
        ReadQuery::ByTimestamp {
            topic,
            partition,
            from_offset,
            timestamp,
            reply,
        } => {
            let _ = reply.send(store.find_by_timestamp(topic, partition, from_offset, timestamp));
        }
        ReadQuery::MaxTimestamp {
            topic,
            partition,
            from_offset,
            reply,
        } => {
            let _ = reply.send(store.find_max_timestamp(topic, partition, from_offset));
        }
        ReadQuery::Meta {
            topic,
            partition,
            from_offset,
            max_rows,
            reply,
        } => {
            let rows = max_rows.min(MAX_META_ROWS);
            let _ = reply.send(store.batch_metadata(topic, partition, from_offset, rows));
        }
        ReadQuery::Role { name, reply } => {
            let _ = reply.send(store.role(&name));
        }
        ReadQuery::ScramRoles { reply } => {
            let _ = reply.send(store.scram_roles(MAX_META_ROWS));
        }
        ReadQuery::Acls { reply } => {
            let _ = reply.send(store.acl_state(MAX_ACL_BINDINGS));
        }
    }
}
