//! A group's and a member's in-memory state, and the replies waiting members receive.
//!
//! Owns: the data of one group; the pure decisions over it (protocol selection, whether a join
//! is compatible, the durable row). Must not touch: timers, the lock, the writer.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::error::KafkaError;
use crate::store::{GroupRow, MemberRow};

/// Kafka's classic group states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupState {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
    Dead,
}

impl GroupState {
    /// The name Kafka uses in DescribeGroups, ListGroups and the stored row.
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
        }
    }
}

/// A member as the leader sees it in its JoinGroup response.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinedMember {
    pub member_id: String,
    pub instance_id: Option<String>,
    pub metadata: Bytes,
}

/// What a JoinGroup call receives.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JoinReply {
    pub error: Option<KafkaError>,
    pub generation: i32,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub leader: String,
    pub member_id: String,
    pub skip_assignment: bool,
    /// Every member, for the leader only.
    pub members: Vec<JoinedMember>,
}

impl JoinReply {
    pub fn error(e: impl Into<KafkaError>, member_id: &str) -> Self {
        JoinReply {
            error: Some(e.into()),
            generation: -1,
            member_id: member_id.to_owned(),
            ..JoinReply::default()
        }
    }
}

/// What a SyncGroup call receives.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SyncReply {
    pub error: Option<KafkaError>,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub assignment: Bytes,
}

impl SyncReply {
    pub fn error(e: impl Into<KafkaError>) -> Self {
        SyncReply {
            error: Some(e.into()),
            ..SyncReply::default()
        }
    }
}

#[derive(Debug)]
pub(crate) struct Member {
    pub id: String,
    pub instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub session_timeout_ms: i32,
    pub rebalance_timeout_ms: i32,
    /// (protocol name, metadata) in the member's order of preference.
    pub protocols: Vec<(String, Bytes)>,
    pub assignment: Bytes,
    pub join_waiter: Option<oneshot::Sender<JoinReply>>,
    pub sync_waiter: Option<oneshot::Sender<SyncReply>>,
    /// The session expires at this instant unless the member shows up again.
    pub deadline: Instant,
    /// Identifies this incarnation of the member to its session timer.
    pub nonce: u64,
}

impl Member {
    pub fn session_timeout(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.session_timeout_ms).unwrap_or(0))
    }

    pub fn metadata_for(&self, protocol: &str) -> Bytes {
        self.protocols
            .iter()
            .find(|(n, _)| n == protocol)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }

    pub fn supports(&self, protocol: &str) -> bool {
        self.protocols.iter().any(|(n, _)| n == protocol)
    }

    /// Answer whatever this member is waiting for with `code`.
    pub fn fail_waiters(&mut self, e: impl Into<KafkaError>) {
        let e = e.into();
        if let Some(w) = self.join_waiter.take() {
            let _ = w.send(JoinReply::error(e.clone(), &self.id));
        }
        if let Some(w) = self.sync_waiter.take() {
            let _ = w.send(SyncReply::error(e));
        }
    }
}

#[derive(Debug)]
pub(crate) struct Group {
    pub id: String,
    pub state: GroupState,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub generation: i32,
    pub leader: Option<String>,
    pub members: BTreeMap<String, Member>,
    /// Member ids handed out with MEMBER_ID_REQUIRED, until their session timeout.
    pub pending: HashMap<String, Instant>,
    /// Identifies the current rebalance to its timers.
    pub rebalance_epoch: u64,
    /// The join barrier of a group's first generation does not fall before this instant.
    pub initial_until: Option<Instant>,
    /// The leader's assignment is being committed.
    pub syncing: bool,
}

impl Group {
    pub fn new(id: &str) -> Self {
        Group {
            id: id.to_owned(),
            state: GroupState::Empty,
            protocol_type: None,
            protocol_name: None,
            generation: 0,
            leader: None,
            members: BTreeMap::new(),
            pending: HashMap::new(),
            rebalance_epoch: 0,
            initial_until: None,
            syncing: false,
        }
    }

    /// A group as stored: Stable with its members if it had any, otherwise Empty.
    pub fn recovered(row: GroupRow, mut nonce: impl FnMut() -> u64) -> Self {
        let mut g = Group::new(&row.group_id);
        g.protocol_type = row.protocol_type;
        g.generation = row.generation_id;
        if row.members.is_empty() {
            return g;
        }
        g.state = GroupState::Stable;
        g.protocol_name = row.protocol_name.clone();
        g.leader = row.leader_id;
        let protocol = row.protocol_name.unwrap_or_default();
        let now = Instant::now();
        for m in row.members {
            let member = Member {
                id: m.member_id.clone(),
                instance_id: m.group_instance_id,
                client_id: m.client_id,
                client_host: m.client_host,
                session_timeout_ms: m.session_timeout_ms,
                rebalance_timeout_ms: m.rebalance_timeout_ms,
                protocols: vec![(protocol.clone(), Bytes::from(m.metadata))],
                assignment: Bytes::from(m.assignment),
                join_waiter: None,
                sync_waiter: None,
                deadline: now,
                nonce: nonce(),
            };
            g.members.insert(m.member_id, member);
        }
        if g.leader.as_ref().is_none_or(|l| !g.members.contains_key(l)) {
            g.leader = g.members.keys().next().cloned();
        }
        g
    }

    /// Members plus member ids handed out and not yet used.
    pub fn size(&self) -> usize {
        self.members.len() + self.pending.len()
    }

    /// The member id currently holding a static instance id.
    pub fn instance_owner(&self, instance: &str) -> Option<String> {
        self.members
            .values()
            .find(|m| m.instance_id.as_deref() == Some(instance))
            .map(|m| m.id.clone())
    }

    /// Whether a member with this protocol type and these protocols may join.
    pub fn supports(&self, protocol_type: &str, protocols: &[(String, Bytes)]) -> bool {
        if self.members.is_empty() {
            return !protocol_type.is_empty() && !protocols.is_empty();
        }
        self.protocol_type.as_deref() == Some(protocol_type)
            && protocols
                .iter()
                .any(|(p, _)| self.members.values().all(|m| m.supports(p)))
    }

    /// Every known member is waiting at the join barrier and no handed-out id is outstanding.
    pub fn all_joined(&self) -> bool {
        self.pending.is_empty() && self.members.values().all(|m| m.join_waiter.is_some())
    }

    /// The protocol every member supports that most members prefer (ties: the first member's
    /// order of preference).
    pub fn select_protocol(&self) -> Option<String> {
        let first = self.members.values().next()?;
        let candidates: Vec<&String> = first
            .protocols
            .iter()
            .map(|(p, _)| p)
            .filter(|p| self.members.values().all(|m| m.supports(p)))
            .collect();
        let mut votes = vec![0usize; candidates.len()];
        for m in self.members.values() {
            if let Some(i) = m
                .protocols
                .iter()
                .find_map(|(p, _)| candidates.iter().position(|c| *c == p))
            {
                votes[i] += 1;
            }
        }
        let best = votes.iter().max().copied()?;
        let i = votes.iter().position(|v| *v == best)?;
        candidates.get(i).map(|p| (*p).clone())
    }

    /// The durable row of this group, with `assignments` replacing the members' current ones.
    pub fn to_row(&self, assignments: Option<&HashMap<String, Bytes>>) -> GroupRow {
        let protocol = self.protocol_name.clone().unwrap_or_default();
        GroupRow {
            group_id: self.id.clone(),
            protocol_type: self.protocol_type.clone(),
            protocol_name: self.protocol_name.clone(),
            generation_id: self.generation,
            leader_id: self.leader.clone(),
            state: self.state.name().to_owned(),
            members: self
                .members
                .values()
                .map(|m| MemberRow {
                    member_id: m.id.clone(),
                    group_instance_id: m.instance_id.clone(),
                    client_id: m.client_id.clone(),
                    client_host: m.client_host.clone(),
                    session_timeout_ms: m.session_timeout_ms,
                    rebalance_timeout_ms: m.rebalance_timeout_ms,
                    metadata: m.metadata_for(&protocol).to_vec(),
                    assignment: assignments
                        .and_then(|a| a.get(&m.id))
                        .unwrap_or(&m.assignment)
                        .to_vec(),
                })
                .collect(),
        }
    }
}
