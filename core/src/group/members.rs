//! SyncGroup, Heartbeat, LeaveGroup and session expiry: everything a joined member does until it
//! leaves or its session times out.
//!
//! Owns: the CompletingRebalance -> Stable transition (after the leader's assignment is
//! committed), member removal and the rebalance it causes, session timers.
//! Invariants: a follower's SyncGroup waits for the leader's assignment; the generation becomes
//! Stable only after its assignment is durable; a heartbeat never waits.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use kafka_protocol::ResponseError;
use tokio::sync::oneshot;
use tokio::time::{sleep_until, Instant};

use super::state::{Group, GroupState, SyncReply};
use super::{durable, Coordinator};
use crate::error::{KafkaError, KafkaResult};
use crate::writer::GroupWrite;

/// A SyncGroup request as the coordinator needs it.
#[derive(Debug, Clone, Default)]
pub struct SyncArgs {
    pub group_id: String,
    pub generation: i32,
    pub member_id: String,
    pub instance_id: Option<String>,
    /// v5+: must match the group's when given.
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    /// The leader's assignment per member id.
    pub assignments: Vec<(String, Bytes)>,
}

/// The checks SyncGroup, Heartbeat and OffsetCommit share: the member exists, is not a fenced
/// static incarnation, and is in the group's generation.
pub(super) fn check_member(
    g: &Group,
    member_id: &str,
    instance_id: Option<&str>,
    generation: i32,
) -> KafkaResult<()> {
    if g.state == GroupState::Dead {
        return Err(KafkaError::from(ResponseError::CoordinatorNotAvailable));
    }
    if let Some(instance) = instance_id {
        if g.instance_owner(instance).is_some_and(|o| o != member_id) {
            return Err(KafkaError::from(ResponseError::FencedInstanceId));
        }
    }
    if !g.members.contains_key(member_id) {
        return Err(KafkaError::from(ResponseError::UnknownMemberId));
    }
    if generation != g.generation {
        return Err(KafkaError::from(ResponseError::IllegalGeneration));
    }
    Ok(())
}

impl Coordinator {
    /// SyncGroup: the leader hands in the assignment; every member receives its own once it is
    /// committed.
    pub fn sync(self: &Arc<Self>, a: SyncArgs) -> oneshot::Receiver<SyncReply> {
        self.ensure_started();
        let (tx, rx) = oneshot::channel();
        let mut st = self.lock();
        let Some(g) = st.groups.get_mut(&a.group_id) else {
            let _ = tx.send(SyncReply::error(ResponseError::UnknownMemberId));
            return rx;
        };
        if let Err(e) = check_member(g, &a.member_id, a.instance_id.as_deref(), a.generation) {
            let _ = tx.send(SyncReply::error(e));
            return rx;
        }
        let mismatch = |given: &Option<String>, ours: &Option<String>| {
            given.as_ref().is_some_and(|p| Some(p) != ours.as_ref())
        };
        if mismatch(&a.protocol_type, &g.protocol_type)
            || mismatch(&a.protocol_name, &g.protocol_name)
        {
            let _ = tx.send(SyncReply::error(ResponseError::InconsistentGroupProtocol));
            return rx;
        }
        let reply = |g: &Group, assignment: Bytes| SyncReply {
            error: None,
            protocol_type: g.protocol_type.clone(),
            protocol_name: g.protocol_name.clone(),
            assignment,
        };
        match g.state {
            GroupState::Empty | GroupState::Dead => {
                let _ = tx.send(SyncReply::error(ResponseError::UnknownMemberId));
            }
            GroupState::PreparingRebalance => {
                let _ = tx.send(SyncReply::error(ResponseError::RebalanceInProgress));
            }
            GroupState::Stable => {
                let assignment = g
                    .members
                    .get_mut(&a.member_id)
                    .map(|m| {
                        m.deadline = Instant::now() + m.session_timeout();
                        m.assignment.clone()
                    })
                    .unwrap_or_default();
                let _ = tx.send(reply(g, assignment));
            }
            GroupState::CompletingRebalance => {
                if let Some(m) = g.members.get_mut(&a.member_id) {
                    m.deadline = Instant::now() + m.session_timeout();
                    m.sync_waiter = Some(tx);
                }
                if g.leader.as_deref() == Some(a.member_id.as_str()) && !g.syncing {
                    self.commit_assignment(g, a.assignments);
                }
            }
        }
        rx
    }

    /// Persist the generation with the leader's assignment; answer every waiting member after
    /// COMMIT (or with the error, staying in CompletingRebalance so the members rejoin).
    fn commit_assignment(self: &Arc<Self>, g: &mut Group, assignments: Vec<(String, Bytes)>) {
        g.syncing = true;
        let assignments: HashMap<String, Bytes> = assignments
            .into_iter()
            .filter(|(id, _)| g.members.contains_key(id))
            .collect();
        let mut row = g.to_row(Some(&assignments));
        row.state = GroupState::Stable.name().to_owned();
        let rx = self.persist(GroupWrite {
            put_groups: vec![row],
            ..GroupWrite::default()
        });
        let (coord, group, generation) = (self.clone(), g.id.clone(), g.generation);
        tokio::spawn(async move {
            let result = durable(rx).await;
            let mut st = coord.lock();
            let Some(g) = st.groups.get_mut(&group) else {
                return;
            };
            if g.generation != generation || g.state != GroupState::CompletingRebalance {
                return;
            }
            g.syncing = false;
            if result.is_ok() {
                g.state = GroupState::Stable;
            }
            let (ptype, pname) = (g.protocol_type.clone(), g.protocol_name.clone());
            for m in g.members.values_mut() {
                if result.is_ok() {
                    m.assignment = assignments.get(&m.id).cloned().unwrap_or_default();
                }
                if let Some(w) = m.sync_waiter.take() {
                    let _ = w.send(match &result {
                        Ok(()) => SyncReply {
                            error: None,
                            protocol_type: ptype.clone(),
                            protocol_name: pname.clone(),
                            assignment: m.assignment.clone(),
                        },
                        Err(e) => SyncReply::error(e.clone()),
                    });
                }
            }
        });
    }

    /// Heartbeat: keeps the session alive and tells the member whether to rejoin.
    pub fn heartbeat(
        self: &Arc<Self>,
        group_id: &str,
        generation: i32,
        member_id: &str,
        instance_id: Option<&str>,
    ) -> KafkaResult<()> {
        self.ensure_started();
        let mut st = self.lock();
        let Some(g) = st.groups.get_mut(group_id) else {
            return Err(ResponseError::UnknownMemberId.into());
        };
        check_member(g, member_id, instance_id, generation)?;
        if let Some(m) = g.members.get_mut(member_id) {
            m.deadline = Instant::now() + m.session_timeout();
        }
        match g.state {
            GroupState::PreparingRebalance => Err(ResponseError::RebalanceInProgress.into()),
            GroupState::Empty | GroupState::Dead => Err(ResponseError::UnknownMemberId.into()),
            GroupState::CompletingRebalance | GroupState::Stable => Ok(()),
        }
    }

    /// LeaveGroup: one result per (member id, instance id); the group rebalances without them.
    pub fn leave(
        self: &Arc<Self>,
        group_id: &str,
        leaving: &[(String, Option<String>)],
    ) -> Vec<KafkaResult<()>> {
        self.ensure_started();
        let mut st = self.lock();
        let Some(g) = st.groups.get_mut(group_id) else {
            return vec![Err(ResponseError::UnknownMemberId.into()); leaving.len()];
        };
        let mut removed = false;
        let results = leaving
            .iter()
            .map(|(member_id, instance)| {
                let target = match instance {
                    Some(i) => match g.instance_owner(i) {
                        None => return Err(ResponseError::UnknownMemberId.into()),
                        Some(o) if !member_id.is_empty() && *member_id != o => {
                            return Err(ResponseError::FencedInstanceId.into())
                        }
                        Some(o) => o,
                    },
                    None => member_id.clone(),
                };
                if g.pending.remove(&target).is_some() {
                    return Ok(());
                }
                match g.members.remove(&target) {
                    Some(mut m) => {
                        m.fail_waiters(ResponseError::UnknownMemberId);
                        removed = true;
                        Ok(())
                    }
                    None => Err(ResponseError::UnknownMemberId.into()),
                }
            })
            .collect();
        if removed {
            self.after_removal(g);
        }
        results
    }

    /// Members left: rebalance the rest (or complete the barrier they were holding up).
    fn after_removal(self: &Arc<Self>, g: &mut Group) {
        match g.state {
            GroupState::Stable | GroupState::CompletingRebalance => {
                self.prepare_rebalance(g);
                self.try_complete_join(g);
            }
            GroupState::PreparingRebalance => self.try_complete_join(g),
            GroupState::Empty | GroupState::Dead => {}
        }
    }

    /// The session timer of one member incarnation: it expires the member when its deadline
    /// passes without a heartbeat, unless the member is waiting in JoinGroup or SyncGroup.
    pub(super) fn watch_session(self: &Arc<Self>, group: String, member: String, nonce: u64) {
        let coord = self.clone();
        tokio::spawn(async move {
            loop {
                let deadline = {
                    let mut st = coord.lock();
                    let Some(g) = st.groups.get_mut(&group) else {
                        return;
                    };
                    let Some(m) = g.members.get_mut(&member).filter(|m| m.nonce == nonce) else {
                        return;
                    };
                    let now = Instant::now();
                    if m.join_waiter.is_some() || m.sync_waiter.is_some() {
                        m.deadline = m.deadline.max(now + m.session_timeout());
                    } else if now >= m.deadline {
                        if let Some(mut m) = g.members.remove(&member) {
                            m.fail_waiters(ResponseError::UnknownMemberId);
                        }
                        coord.after_removal(g);
                        return;
                    }
                    m.deadline
                };
                sleep_until(deadline).await;
            }
        });
    }
}
