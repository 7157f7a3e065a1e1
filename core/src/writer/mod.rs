//! The single writer: the only code that mutates durable state. It runs on the worker's main
//! thread (the only thread allowed to call SPI) over any [`Store`].
//!
//! Per wake-up it takes every queued [`Command`] and, for consecutive produces, performs one group
//! commit: assign offsets from the partitions' high watermarks (which only this writer moves),
//! commit everything in one store transaction, then publish to memory, then reply. A failed
//! commit answers every request in it with KAFKA_STORAGE_ERROR and publishes nothing, so the
//! offsets it had assigned are assigned again by the next commit. Topic admin commits on its own,
//! in queue order. Reads of data older than the memory window are served after the writes.
//!
//! Producer ids, sequence windows and transactions ([`crate::txn`]) are the writer's too:
//! sequences are checked in the group commit (the writer alone owns partition state), and
//! transaction commands ([`TxnCommand`]) commit on their own after the produces queued before
//! them. Before its first command the writer completes transactions a crash left open.

mod admin;
mod admin_configs;
mod clean;
mod expiry;
mod group_writes;
mod produce;
mod reads;
mod txn;
mod txn_end;

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::acl::{AclBinding, AclFilter};
use crate::error::KafkaResult;
use crate::log::{Batch, Registry, Topic};
use crate::protocol::batch;
use crate::store::{AuditRow, ExpiredOffset, GroupRow, OffsetRow, Store, StoreError};

pub use admin::{AdminResult, NewTopic};
pub use admin_configs::{ConfigChange, DeleteRecordsResult, RecordsDeletion};
pub use clean::{CleanStep, StepDone};
pub use expiry::ExpiryPolicy;
pub use reads::ReadQuery;
pub use txn::{Begun, ProducerIdEpoch, TxnCommand, MAX_TRANSACTION_TIMEOUT_MS};

/// A validated RecordBatch awaiting its offsets.
#[derive(Debug, Clone)]
pub struct PendingBatch {
    /// The batch as the client sent it; its base offset is stamped at commit.
    pub bytes: Bytes,
    pub record_count: i32,
    pub last_offset_delta: i32,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub attributes: i16,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
}

/// The batches of one produce request for one partition, appended together in order.
#[derive(Debug)]
pub struct Append {
    pub topic: Arc<Topic>,
    pub partition: i32,
    pub batches: Vec<PendingBatch>,
}

/// Where a partition's append landed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Appended {
    pub base_offset: i64,
    pub log_start_offset: i64,
    /// The append time stamped into the batches (LogAppendTime topics), else -1.
    pub log_append_time_ms: i64,
}

pub type AppendResult = KafkaResult<Appended>;

/// Durable consumer-group changes. They join the group commit of the produces queued beside
/// them; the reply comes after COMMIT.
#[derive(Debug, Default)]
pub struct GroupWrite {
    pub put_groups: Vec<GroupRow>,
    pub delete_groups: Vec<String>,
    pub commit_offsets: Vec<OffsetRow>,
    pub delete_offsets: Vec<(String, Uuid, i32)>,
    /// Offsets to remove if still committed before the given time (offsets.retention.minutes).
    pub expire_offsets: Vec<ExpiredOffset>,
    /// Groups to remove if they have no members (generation 0) and no offsets left.
    pub expire_groups: Vec<String>,
}

/// Most bytes of record batches one group commit writes (a single larger request is committed
/// alone), unless `Writer::limit_commits` lowers it.
pub const MAX_COMMIT_BYTES: usize = 64 << 20;

impl Append {
    /// Bytes of the batches to append.
    pub fn bytes(&self) -> usize {
        self.batches.iter().map(|b| b.bytes.len()).sum()
    }
}

/// One unit of work for the writer.
#[derive(Debug)]
pub enum Command {
    /// Append batches; the reply holds one result per append, in order. No reply for acks=0.
    Produce {
        appends: Vec<Append>,
        reply: Option<oneshot::Sender<Vec<AppendResult>>>,
    },
    /// Persist consumer-group state; COORDINATOR_NOT_AVAILABLE if it could not be committed.
    Groups {
        write: GroupWrite,
        reply: oneshot::Sender<KafkaResult<()>>,
    },
    CreateTopics {
        topics: Vec<NewTopic>,
        validate_only: bool,
        reply: oneshot::Sender<Vec<AdminResult>>,
    },
    DeleteTopics {
        /// Topics by name, or by id when the name is empty.
        topics: Vec<(String, Uuid)>,
        reply: oneshot::Sender<Vec<AdminResult>>,
    },
    CreatePartitions {
        /// (topic, new total count)
        topics: Vec<(String, i32)>,
        validate_only: bool,
        reply: oneshot::Sender<Vec<AdminResult>>,
    },
    /// Change topic configs (AlterConfigs replaces, IncrementalAlterConfigs edits); one result
    /// per change, in order.
    AlterTopicConfigs {
        changes: Vec<ConfigChange>,
        validate_only: bool,
        reply: oneshot::Sender<Vec<AdminResult>>,
    },
    /// Move partitions' log start offsets forward (DeleteRecords); one result per deletion.
    DeleteRecords {
        deletions: Vec<RecordsDeletion>,
        reply: oneshot::Sender<Vec<DeleteRecordsResult>>,
    },
    /// Add ACL bindings as the principal `by` (CreateAcls).
    CreateAcls {
        bindings: Vec<AclBinding>,
        by: String,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
    /// Remove the ACL bindings each filter matches (DeleteAcls).
    DeleteAcls {
        filters: Vec<AclFilter>,
        reply: oneshot::Sender<Result<Vec<Vec<AclBinding>>, StoreError>>,
    },
    /// Append audit rows (no answer; a failure is logged).
    Audit { rows: Vec<AuditRow> },
    /// A read that memory cannot answer.
    Read(ReadQuery),
    /// Producer ids and transactions.
    Txn(TxnCommand),
    /// One step of the cleaner (retention, compaction) on one partition.
    Clean {
        step: CleanStep,
        reply: oneshot::Sender<KafkaResult<StepDone>>,
    },
}

/// The writer's state: the registry it publishes to. Offsets come from the partition logs'
/// high watermarks, which nobody else moves.
pub struct Writer {
    registry: Arc<Registry>,
    /// Whether transactions left open by a crash were completed.
    transactions_recovered: bool,
    /// Timeout aborts whose commit failed: (transactional id, serial), tried again by `tick`.
    failed_expiries: Vec<(String, u64)>,
    expiry: ExpiryPolicy,
    /// When producer state was last checked for expiry.
    expiry_checked: std::time::Instant,
    /// Bytes of batches after which a group commit is cut.
    commit_cut: usize,
}

impl Writer {
    pub fn new(registry: Arc<Registry>) -> Self {
        Self::with_expiry(registry, ExpiryPolicy::default())
    }

    pub fn with_expiry(registry: Arc<Registry>, expiry: ExpiryPolicy) -> Self {
        Writer {
            registry,
            transactions_recovered: false,
            failed_expiries: Vec::new(),
            expiry,
            expiry_checked: std::time::Instant::now(),
            commit_cut: MAX_COMMIT_BYTES,
        }
    }

    /// Cut group commits at `bytes` of batches when that is less than `MAX_COMMIT_BYTES`. The
    /// worker passes half of `max_inflight_bytes`: a commit's working set (the batches stamped
    /// with their offsets, and the store's copies of them while it writes) then stays within
    /// the memory the in-flight budget accounts for beside the frames it admits.
    pub fn limit_commits(&mut self, bytes: usize) {
        self.commit_cut = bytes.clamp(1, MAX_COMMIT_BYTES);
    }

    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// Work that is due without a command: transactions a crash left open, timeout aborts that
    /// failed to commit, and expired producer state. The worker calls it on every wake-up (at
    /// least once a second).
    pub fn tick<S: Store>(&mut self, store: &mut S) {
        if !self.transactions_recovered {
            self.recover_transactions(store);
        }
        for (transactional_id, serial) in std::mem::take(&mut self.failed_expiries) {
            self.expire(store, transactional_id, serial);
        }
        if self.expiry_checked.elapsed() >= self.expiry.check_interval {
            self.expiry_checked = std::time::Instant::now();
            self.expire_producers(store);
        }
    }

    /// Process every command of one wake-up: writes first, in order, then reads.
    pub fn process<S: Store>(&mut self, store: &mut S, commands: Vec<Command>) {
        if !self.transactions_recovered {
            self.recover_transactions(store);
        }
        let mut produces = Vec::new();
        let mut produce_bytes = 0usize;
        let mut groups = Vec::new();
        let mut reads = Vec::new();
        for cmd in commands {
            match cmd {
                Command::Produce { appends, reply } => {
                    // Cut by bytes too: one transaction's arrays stay far below Postgres' 1 GB
                    // allocation limit, and the copies a commit makes stay bounded.
                    let bytes: usize = appends.iter().map(Append::bytes).sum();
                    if produce_bytes > 0 && produce_bytes + bytes > self.commit_cut {
                        self.group_commit(
                            store,
                            std::mem::take(&mut produces),
                            std::mem::take(&mut groups),
                        );
                        produce_bytes = 0;
                    }
                    produce_bytes += bytes;
                    produces.push((appends, reply));
                }
                Command::Groups { write, reply } => groups.push((write, reply)),
                Command::Read(q) => reads.push(q),
                Command::Txn(t) => {
                    self.group_commit(
                        store,
                        std::mem::take(&mut produces),
                        std::mem::take(&mut groups),
                    );
                    self.txn_command(store, t);
                }
                admin => {
                    self.group_commit(
                        store,
                        std::mem::take(&mut produces),
                        std::mem::take(&mut groups),
                    );
                    self.admin(store, admin);
                }
            }
        }
        self.group_commit(store, produces, groups);
        for q in reads {
            reads::serve(store, q);
        }
    }
}

/// Stamp a batch with its offsets: the base offset goes into its bytes (outside the CRC).
pub(crate) fn stamp(p: &PendingBatch, base_offset: i64) -> Batch {
    Batch {
        base_offset,
        last_offset: base_offset + i64::from(p.last_offset_delta),
        base_timestamp: p.base_timestamp,
        max_timestamp: p.max_timestamp,
        record_count: p.record_count,
        attributes: p.attributes,
        producer_id: p.producer_id,
        producer_epoch: p.producer_epoch,
        base_sequence: p.base_sequence,
        bytes: batch::stamped(&p.bytes, base_offset),
    }
}

/// A stamped batch of a topic with `message.timestamp.type=LogAppendTime`, as Kafka stores it
/// (see [`batch::set_log_append_time`]); its timestamp columns both become the append time.
pub(crate) fn with_log_append_time(mut b: Batch, append_time_ms: i64) -> Batch {
    let mut bytes = b.bytes.to_vec();
    if let Some(attributes) = batch::set_log_append_time(&mut bytes, append_time_ms) {
        b.attributes = attributes;
        b.base_timestamp = append_time_ms;
        b.max_timestamp = append_time_ms;
        b.bytes = Bytes::from(bytes);
    }
    b
}

#[cfg(test)]
mod tests;
