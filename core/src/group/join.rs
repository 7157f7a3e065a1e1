//! JoinGroup and the join barrier: adding members, MEMBER_ID_REQUIRED, static members replacing
//! their previous incarnation, starting a rebalance, and completing it into a new generation.
//!
//! Owns: the PreparingRebalance -> CompletingRebalance (or Empty) transition and its timers.
//! Invariants: a JoinGroup waits at the barrier until every known member rejoined or the
//! rebalance timeout passed; the first generation of an empty group waits at least
//! `initial_rebalance_delay`; a timer whose epoch is stale does nothing.

use std::sync::Arc;

use bytes::Bytes;
use kafka_protocol::ResponseError;
use tokio::sync::oneshot;
use tokio::time::{sleep_until, Duration, Instant};
use uuid::Uuid;

use super::state::{Group, GroupState, JoinReply, JoinedMember, Member};
use super::Coordinator;

/// A JoinGroup request as the coordinator needs it.
#[derive(Debug, Clone, Default)]
pub struct JoinArgs {
    pub group_id: String,
    pub member_id: String,
    pub instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub session_timeout_ms: i32,
    pub rebalance_timeout_ms: i32,
    pub protocol_type: String,
    pub protocols: Vec<(String, Bytes)>,
    /// v4+: a new member without an id gets MEMBER_ID_REQUIRED first.
    pub require_known_member_id: bool,
    /// v9+: the leader may be told to skip the assignment.
    pub supports_skip_assignment: bool,
}

type Waiter = oneshot::Sender<JoinReply>;

impl Coordinator {
    /// Join (or rejoin) a group; the receiver yields when the barrier completes or at once on an
    /// error or a rejoin that needs no rebalance.
    pub fn join(self: &Arc<Self>, a: JoinArgs) -> oneshot::Receiver<JoinReply> {
        self.ensure_started();
        let (tx, rx) = oneshot::channel();
        let mut st = self.lock();
        let l = &self.limits;
        let fail = |tx: Waiter, e: ResponseError, id: &str| {
            let _ = tx.send(JoinReply::error(e, id));
        };
        if a.session_timeout_ms < l.min_session_timeout_ms
            || a.session_timeout_ms > l.max_session_timeout_ms
        {
            fail(tx, ResponseError::InvalidSessionTimeout, &a.member_id);
            return rx;
        }
        if a.group_id.is_empty() {
            fail(tx, ResponseError::InvalidGroupId, &a.member_id);
            return rx;
        }
        if super::consumer_admin::active(&st, &a.group_id).is_some() {
            fail(tx, ResponseError::InconsistentGroupProtocol, &a.member_id);
            return rx;
        }
        // An empty consumer-protocol group gives its id back to the classic protocol.
        st.consumer.remove(&a.group_id);
        if !st.groups.contains_key(&a.group_id) {
            if !a.member_id.is_empty() {
                fail(tx, ResponseError::UnknownMemberId, &a.member_id);
                return rx;
            }
            if st.groups.len() >= l.max_groups {
                super::admin::prune_unused(&mut st);
            }
            if st.groups.len() >= l.max_groups {
                fail(tx, ResponseError::GroupMaxSizeReached, &a.member_id);
                return rx;
            }
            st.groups
                .insert(a.group_id.clone(), Group::new(&a.group_id));
        }
        let Some(g) = st.groups.get_mut(&a.group_id) else {
            fail(tx, ResponseError::CoordinatorNotAvailable, &a.member_id);
            return rx;
        };
        if g.state == GroupState::Dead {
            fail(tx, ResponseError::CoordinatorNotAvailable, &a.member_id);
            return rx;
        }
        let now = Instant::now();
        g.pending.retain(|_, deadline| *deadline > now);
        if !g.supports(&a.protocol_type, &a.protocols) {
            fail(tx, ResponseError::InconsistentGroupProtocol, &a.member_id);
            return rx;
        }
        if a.member_id.is_empty() {
            if let Some(instance) = &a.instance_id {
                if let Some(old) = g.instance_owner(instance) {
                    self.replace_static(g, &old, a, tx);
                    return rx;
                }
            }
            if g.size() >= l.max_group_size {
                fail(tx, ResponseError::GroupMaxSizeReached, "");
                return rx;
            }
            let id = new_member_id(&a);
            if a.require_known_member_id && a.instance_id.is_none() {
                let session = Duration::from_millis(a.session_timeout_ms.unsigned_abs().into());
                g.pending.insert(id.clone(), now + session);
                self.expire_pending(g.id.clone(), id.clone(), now + session);
                fail(tx, ResponseError::MemberIdRequired, &id);
                return rx;
            }
            self.add_and_join(g, id, a, tx);
            return rx;
        }
        if let Some(instance) = &a.instance_id {
            if g.instance_owner(instance).is_some_and(|o| o != a.member_id) {
                fail(tx, ResponseError::FencedInstanceId, &a.member_id);
                return rx;
            }
        }
        if g.pending.remove(&a.member_id).is_some() {
            let id = a.member_id.clone();
            self.add_and_join(g, id, a, tx);
        } else if g.members.contains_key(&a.member_id) {
            self.rejoin(g, a, tx);
        } else {
            fail(tx, ResponseError::UnknownMemberId, &a.member_id);
        }
        rx
    }

    fn member_from(&self, id: String, a: &JoinArgs, waiter: Option<Waiter>) -> Member {
        let mut m = Member {
            id,
            instance_id: a.instance_id.clone(),
            client_id: a.client_id.clone(),
            client_host: a.client_host.clone(),
            session_timeout_ms: a.session_timeout_ms,
            rebalance_timeout_ms: a.rebalance_timeout_ms,
            protocols: a.protocols.clone(),
            assignment: Bytes::new(),
            join_waiter: waiter,
            sync_waiter: None,
            deadline: Instant::now(),
            nonce: self.next_nonce(),
        };
        m.deadline += m.session_timeout();
        m
    }

    fn add_and_join(self: &Arc<Self>, g: &mut Group, id: String, a: JoinArgs, tx: Waiter) {
        if g.members.len() >= self.limits.max_group_size {
            let _ = tx.send(JoinReply::error(ResponseError::GroupMaxSizeReached, &id));
            return;
        }
        let m = self.member_from(id.clone(), &a, Some(tx));
        let nonce = m.nonce;
        if g.members.is_empty() {
            g.protocol_type = Some(a.protocol_type.clone());
        }
        g.members.insert(id.clone(), m);
        self.watch_session(g.id.clone(), id, nonce);
        if g.state != GroupState::PreparingRebalance {
            self.prepare_rebalance(g);
        }
        self.try_complete_join(g);
    }

    fn rejoin(self: &Arc<Self>, g: &mut Group, a: JoinArgs, tx: Waiter) {
        let Some(m) = g.members.get_mut(&a.member_id) else {
            return;
        };
        let changed = m.protocols != a.protocols;
        m.protocols = a.protocols;
        m.session_timeout_ms = a.session_timeout_ms;
        m.rebalance_timeout_ms = a.rebalance_timeout_ms;
        m.deadline = Instant::now() + m.session_timeout();
        let is_leader = g.leader.as_deref() == Some(a.member_id.as_str());
        let rebalance = match g.state {
            GroupState::PreparingRebalance => {
                m.join_waiter = Some(tx);
                self.try_complete_join(g);
                return;
            }
            GroupState::CompletingRebalance => changed,
            GroupState::Stable => changed || is_leader,
            GroupState::Empty | GroupState::Dead => true,
        };
        if rebalance {
            m.join_waiter = Some(tx);
            self.prepare_rebalance(g);
            self.try_complete_join(g);
        } else {
            let _ = tx.send(current_generation(g, &a.member_id));
        }
    }

    /// A known static instance rejoined with a new member id: the old incarnation is fenced and
    /// the new one takes its place (and its assignment) without a rebalance when nothing changed.
    fn replace_static(self: &Arc<Self>, g: &mut Group, old_id: &str, a: JoinArgs, tx: Waiter) {
        let Some(mut old) = g.members.remove(old_id) else {
            return;
        };
        old.fail_waiters(ResponseError::FencedInstanceId);
        let new_id = new_member_id(&a);
        let changed = old.protocols != a.protocols;
        let mut m = self.member_from(new_id.clone(), &a, None);
        m.assignment = old.assignment;
        let nonce = m.nonce;
        let previous_leader = g.leader.clone().unwrap_or_default();
        let was_leader = previous_leader == old_id;
        if was_leader {
            g.leader = Some(new_id.clone());
        }
        g.members.insert(new_id.clone(), m);
        self.watch_session(g.id.clone(), new_id.clone(), nonce);
        if g.state == GroupState::Stable && !changed {
            let mut reply = current_generation(g, &new_id);
            if was_leader && !a.supports_skip_assignment {
                // Named as not the leader, the new incarnation syncs as a follower and gets its
                // previous assignment back (Kafka does the same for pre-v9 clients).
                reply.leader = previous_leader;
                reply.members.clear();
            }
            reply.skip_assignment = was_leader && a.supports_skip_assignment;
            self.persist_detached(g);
            let _ = tx.send(reply);
            return;
        }
        if let Some(m) = g.members.get_mut(&new_id) {
            m.join_waiter = Some(tx);
        }
        if g.state != GroupState::PreparingRebalance {
            self.prepare_rebalance(g);
        }
        self.try_complete_join(g);
    }

    /// A member id handed out and never used stops holding up the join barrier at `deadline`.
    fn expire_pending(self: &Arc<Self>, group: String, member: String, deadline: Instant) {
        let coord = self.clone();
        tokio::spawn(async move {
            sleep_until(deadline).await;
            let mut st = coord.lock();
            if let Some(g) = st.groups.get_mut(&group) {
                if g.pending.get(&member).is_some_and(|d| *d <= Instant::now()) {
                    g.pending.remove(&member);
                    coord.try_complete_join(g);
                }
            }
        });
    }

    /// Enter PreparingRebalance and arm the barrier's timers.
    pub(super) fn prepare_rebalance(self: &Arc<Self>, g: &mut Group) {
        let first = g.state == GroupState::Empty;
        g.state = GroupState::PreparingRebalance;
        g.syncing = false;
        g.rebalance_epoch += 1;
        for m in g.members.values_mut() {
            if let Some(w) = m.sync_waiter.take() {
                let _ = w.send(super::SyncReply::error(ResponseError::RebalanceInProgress));
            }
        }
        let now = Instant::now();
        let timeout = g
            .members
            .values()
            .map(|m| m.rebalance_timeout_ms.max(m.session_timeout_ms))
            .max()
            .unwrap_or(0);
        let deadline = now + Duration::from_millis(timeout.unsigned_abs().into());
        g.initial_until = first.then(|| now + self.limits.initial_rebalance_delay);
        let (coord, group, epoch, initial) = (
            self.clone(),
            g.id.clone(),
            g.rebalance_epoch,
            g.initial_until,
        );
        tokio::spawn(async move {
            if let Some(t) = initial {
                sleep_until(t).await;
                let mut st = coord.lock();
                if let Some(g) = st.groups.get_mut(&group) {
                    if g.rebalance_epoch == epoch && g.state == GroupState::PreparingRebalance {
                        g.initial_until = None;
                        coord.try_complete_join(g);
                    }
                }
            }
            sleep_until(deadline.max(initial.unwrap_or(deadline))).await;
            let mut st = coord.lock();
            if let Some(g) = st.groups.get_mut(&group) {
                if g.rebalance_epoch == epoch && g.state == GroupState::PreparingRebalance {
                    g.initial_until = None;
                    coord.complete_join(g);
                }
            }
        });
    }

    pub(super) fn try_complete_join(self: &Arc<Self>, g: &mut Group) {
        let delayed = g.initial_until.is_some_and(|t| Instant::now() < t);
        if g.state == GroupState::PreparingRebalance && !delayed && g.all_joined() {
            self.complete_join(g);
        }
    }

    /// Close the barrier: members that did not rejoin leave, the generation advances, and every
    /// waiting member gets its JoinGroup response (the leader with everyone's metadata).
    fn complete_join(self: &Arc<Self>, g: &mut Group) {
        let gone: Vec<String> = g
            .members
            .values()
            .filter(|m| m.join_waiter.is_none())
            .map(|m| m.id.clone())
            .collect();
        for id in gone {
            if let Some(mut m) = g.members.remove(&id) {
                m.fail_waiters(ResponseError::UnknownMemberId);
            }
        }
        g.pending.clear();
        g.generation = g.generation.wrapping_add(1).max(1);
        g.syncing = false;
        if g.members.is_empty() {
            g.state = GroupState::Empty;
            g.protocol_name = None;
            g.leader = None;
            self.persist_detached(g);
            return;
        }
        g.protocol_name = g.select_protocol();
        if g.leader.as_ref().is_none_or(|l| !g.members.contains_key(l)) {
            g.leader = g.members.keys().next().cloned();
        }
        g.state = GroupState::CompletingRebalance;
        let now = Instant::now();
        let mut replies = Vec::new();
        for m in g.members.values_mut() {
            m.assignment = Bytes::new();
            m.deadline = now + m.session_timeout();
            if let Some(w) = m.join_waiter.take() {
                replies.push((m.id.clone(), w));
            }
        }
        for (id, w) in replies {
            let _ = w.send(current_generation(g, &id));
        }
    }
}

/// The JoinGroup response of the current generation for `member_id`.
fn current_generation(g: &Group, member_id: &str) -> JoinReply {
    let protocol = g.protocol_name.clone().unwrap_or_default();
    let leader = g.leader.clone().unwrap_or_default();
    let members = if leader == member_id {
        g.members
            .values()
            .map(|m| JoinedMember {
                member_id: m.id.clone(),
                instance_id: m.instance_id.clone(),
                metadata: m.metadata_for(&protocol),
            })
            .collect()
    } else {
        Vec::new()
    };
    JoinReply {
        error: None,
        generation: g.generation,
        protocol_type: g.protocol_type.clone(),
        protocol_name: g.protocol_name.clone(),
        leader,
        member_id: member_id.to_owned(),
        skip_assignment: false,
        members,
    }
}

fn new_member_id(a: &JoinArgs) -> String {
    let prefix = match (&a.instance_id, a.client_id.is_empty()) {
        (Some(i), _) => i.as_str(),
        (None, false) => a.client_id.as_str(),
        (None, true) => "member",
    };
    format!("{prefix}-{}", Uuid::new_v4())
}
