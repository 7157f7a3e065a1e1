//! The consumer-group coordinator (classic protocol): group membership, the rebalance state
//! machine and committed offsets, on the tokio side.
//!
//! Owns: every group's state (Empty, PreparingRebalance, CompletingRebalance, Stable, Dead), its
//! members, their session and rebalance timers, and the committed offsets served by OffsetFetch.
//! Must not touch: the store (durable changes go to the writer as `Command::Groups` through one
//! ordered persister task) or the wire format (the handlers in `broker/` translate).
//!
//! Invariants: one mutex guards all groups and is never held across an await; joins, syncs and
//! heartbeats never wait on the writer, except SyncGroup of a completed generation, which answers
//! after the assignment is committed, and offset changes, which answer after COMMIT; durable
//! writes reach the writer in the order the state changed; every timer carries a token (the
//! rebalance epoch or the member nonce) and does nothing once the state moved on; member and
//! group counts are capped by [`Limits`]. Time is tokio's clock, so tests pause and advance it.
//!
//! Restart: a recovered group with members comes back Stable with its generation, leader,
//! protocol, members and assignments, and every member's session timer restarts when the
//! coordinator first runs; a consumer that comes back with its member id and generation resumes
//! without a rebalance, one that is gone expires after its session timeout.

mod admin;
mod assignor;
mod consumer;
mod consumer_admin;
mod consumer_ops;
mod consumer_rows;
mod join;
mod members;
mod offsets;
mod state;
mod subscription;
mod topic_regex;
mod txn_offsets;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use kafka_protocol::ResponseError;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::error::{KafkaError, KafkaResult};
use crate::log::Registry;
use crate::net::Bridge;
use crate::store::{GroupRow, OffsetRow};
use crate::writer::{Command, GroupWrite};

pub use admin::{GroupSummary, ListedGroup, MemberSummary};
pub use assignor::TopicAssignment;
pub use consumer_ops::{
    ConsumerGroupSummary, ConsumerHeartbeat, ConsumerHeartbeatReply, ConsumerMemberSummary,
};
pub use join::JoinArgs;
pub use members::SyncArgs;
pub use offsets::{CommitArgs, FetchedPartition, PartitionCommit, TopicResults};
pub use state::{GroupState, JoinReply, JoinedMember, SyncReply};
pub use subscription::subscribed_topics;

use offsets::Committed;
use state::Group;

/// Kafka's `group.initial.rebalance.delay.ms` is 3000 ms; this broker waits less so that a
/// group's first generation forms quickly while still gathering members that start together.
pub const INITIAL_REBALANCE_DELAY: Duration = Duration::from_millis(100);

/// Bounds the coordinator enforces.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Kafka's `group.min.session.timeout.ms`.
    pub min_session_timeout_ms: i32,
    /// Kafka's `group.max.session.timeout.ms`.
    pub max_session_timeout_ms: i32,
    /// Members (joined or holding a member id handed out) per group: `group.max.size`.
    pub max_group_size: usize,
    /// Groups this broker keeps; a new group beyond it gets GROUP_MAX_SIZE_REACHED.
    pub max_groups: usize,
    /// Delay before the first generation of an empty group completes.
    pub initial_rebalance_delay: Duration,
    /// Kafka's `offset.metadata.max.bytes`.
    pub max_offset_metadata_bytes: usize,
    /// Kafka's `offsets.retention.minutes`: offsets of a group without members expire this
    /// long after their commit, and a group left with neither members nor offsets goes too.
    pub offsets_retention_ms: i64,
    /// Kafka's `offsets.retention.check.interval.ms`.
    pub offsets_retention_check_interval: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            min_session_timeout_ms: 6_000,
            max_session_timeout_ms: 1_800_000,
            max_group_size: 1_000,
            max_groups: 10_000,
            initial_rebalance_delay: INITIAL_REBALANCE_DELAY,
            max_offset_metadata_bytes: 4096,
            offsets_retention_ms: 7 * 24 * 3_600_000,
            offsets_retention_check_interval: Duration::from_secs(600),
        }
    }
}

/// All groups and their committed offsets, behind the coordinator's one mutex.
#[derive(Debug, Default)]
pub(crate) struct Groups {
    groups: HashMap<String, Group>,
    /// Consumer-protocol (KIP-848) groups; each also has an Empty anchor in `groups`.
    consumer: HashMap<String, consumer::ConsumerGroup>,
    offsets: HashMap<String, HashMap<(uuid::Uuid, i32), Committed>>,
    /// Orders offset commits: memory keeps the newest one committed.
    next_seq: u64,
}

/// The coordinator. Shared by every connection as `Arc<Coordinator>`.
#[derive(Debug)]
pub struct Coordinator {
    limits: Limits,
    registry: Arc<Registry>,
    state: Mutex<Groups>,
    persist_tx: mpsc::UnboundedSender<Command>,
    persist_rx: Mutex<Option<mpsc::UnboundedReceiver<Command>>>,
    bridge: Bridge,
    started: AtomicBool,
    nonce: AtomicU64,
}

impl Coordinator {
    /// A coordinator holding the groups and offsets recovery found. Needs no runtime: its tasks
    /// (the persister, recovered members' session timers) start on first use.
    pub fn new(
        limits: Limits,
        bridge: Bridge,
        registry: Arc<Registry>,
        groups: Vec<GroupRow>,
        offsets: Vec<OffsetRow>,
    ) -> Self {
        let (persist_tx, rx) = mpsc::unbounded_channel();
        let c = Coordinator {
            limits,
            registry,
            state: Mutex::new(Groups::default()),
            persist_tx,
            persist_rx: Mutex::new(Some(rx)),
            bridge,
            started: AtomicBool::new(false),
            nonce: AtomicU64::new(1),
        };
        {
            let mut st = c.lock();
            let now = Instant::now();
            for mut row in groups {
                let consumer = consumer_rows::from_row(&row, &c.registry, || c.next_nonce(), now);
                if let Some(cg) = consumer {
                    // The anchor keeps its classic side empty; the members are the consumer
                    // group's.
                    row.members.clear();
                    st.consumer.insert(row.group_id.clone(), cg);
                }
                let g = Group::recovered(row, || c.next_nonce());
                st.groups.insert(g.id.clone(), g);
            }
            for o in offsets {
                st.groups
                    .entry(o.group_id.clone())
                    .or_insert_with(|| Group::new(&o.group_id));
                let seq = st.next_seq;
                st.next_seq += 1;
                st.offsets
                    .entry(o.group_id.clone())
                    .or_default()
                    .insert((o.topic_id, o.partition), Committed::from_row(&o, seq));
            }
        }
        c
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    fn lock(&self) -> MutexGuard<'_, Groups> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn next_nonce(&self) -> u64 {
        self.nonce.fetch_add(1, Ordering::Relaxed)
    }

    /// Start the persister and the recovered members' session timers. Must run inside the tokio
    /// runtime; every request to the coordinator calls it, so calling it is optional, but a
    /// broker that calls it at start expires recovered members that never come back even if no
    /// client asks about groups.
    pub fn start(self: &Arc<Self>) {
        self.ensure_started();
    }

    fn ensure_started(self: &Arc<Self>) {
        if self.started.load(Ordering::Acquire) || self.started.swap(true, Ordering::AcqRel) {
            return;
        }
        let rx = self
            .persist_rx
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(mut rx) = rx {
            let bridge = self.bridge.clone();
            tokio::spawn(async move {
                // One task sends every group write, so they reach the writer in state order. A
                // command the writer cannot take is dropped, and its waiter sees the error.
                while let Some(cmd) = rx.recv().await {
                    let _ = bridge.send(cmd).await;
                }
            });
        }
        let now = Instant::now();
        let mut timers = Vec::new();
        let mut consumer_timers = Vec::new();
        {
            let mut st = self.lock();
            for g in st.groups.values_mut() {
                for m in g.members.values_mut() {
                    m.deadline = now + m.session_timeout();
                    timers.push((g.id.clone(), m.id.clone(), m.nonce));
                }
            }
            for (id, g) in st.consumer.iter_mut() {
                for m in g.members.values_mut() {
                    m.deadline = now + consumer::ms(consumer::SESSION_TIMEOUT_MS);
                    consumer_timers.push((id.clone(), m.id.clone(), m.nonce));
                }
            }
        }
        for (g, m, nonce) in timers {
            self.watch_session(g, m, nonce);
        }
        for (g, m, nonce) in consumer_timers {
            self.watch_consumer(g, m, nonce);
        }
        let coord = self.clone();
        tokio::spawn(async move {
            let every = coord.limits.offsets_retention_check_interval;
            loop {
                tokio::time::sleep(every).await;
                coord.expire_offsets().await;
            }
        });
    }

    /// Queue a durable group change; the receiver yields after COMMIT.
    fn persist(&self, write: GroupWrite) -> oneshot::Receiver<KafkaResult<()>> {
        let (reply, rx) = oneshot::channel();
        // A closed channel drops the reply sender: the waiter sees COORDINATOR_NOT_AVAILABLE.
        let _ = self.persist_tx.send(Command::Groups { write, reply });
        rx
    }
}

impl Coordinator {
    /// Queue the group's row without waiting: nobody is answered on it, and if it fails the
    /// store keeps the previous row, which a restart resumes from (members then rejoin).
    fn persist_detached(&self, g: &Group) {
        drop(self.persist(GroupWrite {
            put_groups: vec![g.to_row(None)],
            ..GroupWrite::default()
        }));
    }
}

/// The outcome of a queued durable write.
async fn durable(rx: oneshot::Receiver<KafkaResult<()>>) -> KafkaResult<()> {
    rx.await.unwrap_or(Err(KafkaError::from(
        ResponseError::CoordinatorNotAvailable,
    )))
}
