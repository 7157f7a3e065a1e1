//! ConsumerGroupHeartbeat, ConsumerGroupDescribe and the member timers of consumer-protocol
//! groups (KIP-848), over the coordinator's lock.
//!
//! Owns: joining, fencing, leaving and expiring consumer-protocol members; the group-id
//! namespace rule between the two protocols; the membership check of OffsetCommit for these
//! groups; topic regexes are resolved by the group (`topic_regex`). Must not touch: the store (only the group's anchor row goes to the writer, through
//! the coordinator's ordered persister), the wire format.
//!
//! Invariants: a group id is either a classic group with members or a consumer-protocol group,
//! never both: ConsumerGroupHeartbeat on a classic group with members gets GROUP_ID_NOT_FOUND,
//! JoinGroup on a consumer-protocol group with members gets INCONSISTENT_GROUP_PROTOCOL. Every
//! consumer-protocol group has an anchor: an Empty classic row of protocol type "consumer" that
//! holds its committed offsets durably and, with its members (`consumer_rows`), the group's
//! epoch and each member's epoch, subscription and assignment, written whenever they change: a
//! restart restores them, and members heartbeat on. A heartbeat never waits.

use std::sync::Arc;

use kafka_protocol::ResponseError;
use tokio::time::{sleep_until, Instant};

use super::assignor::{TopicAssignment, ASSIGNORS};
use super::consumer::{
    ms, subset, CMember, ConsumerGroup, HEARTBEAT_INTERVAL_MS, MAX_REBALANCE_TIMEOUT_MS,
    SESSION_TIMEOUT_MS,
};
use super::state::{Group, GroupState};
use super::{topic_regex, Coordinator, Groups};
use crate::error::KafkaError;

/// The protocol type of a consumer-protocol group's anchor row.
pub const CONSUMER_PROTOCOL: &str = "consumer";

/// A ConsumerGroupHeartbeat request as the coordinator needs it.
#[derive(Debug, Clone, Default)]
pub struct ConsumerHeartbeat {
    pub version: i16,
    pub group_id: String,
    pub member_id: String,
    pub member_epoch: i32,
    pub instance_id: Option<String>,
    pub rack_id: Option<String>,
    pub rebalance_timeout_ms: i32,
    /// `None`: unchanged since the last heartbeat.
    pub subscribed_topic_names: Option<Vec<String>>,
    pub subscribed_topic_regex: Option<String>,
    pub server_assignor: Option<String>,
    /// The partitions the member owns; `None`: not reported.
    pub owned: Option<TopicAssignment>,
    pub client_id: String,
    pub client_host: String,
}

/// What a ConsumerGroupHeartbeat receives.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConsumerHeartbeatReply {
    pub error: Option<KafkaError>,
    pub member_id: Option<String>,
    pub member_epoch: i32,
    pub heartbeat_interval_ms: i32,
    /// The member's full assignment, when it changed (or the member must hear it again).
    pub assignment: Option<TopicAssignment>,
}

impl ConsumerHeartbeatReply {
    fn error(code: ResponseError, message: Option<String>) -> Self {
        ConsumerHeartbeatReply {
            error: Some(KafkaError { code, message }),
            member_epoch: -1,
            ..Default::default()
        }
    }
}

/// One member in ConsumerGroupDescribe.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumerMemberSummary {
    pub member_id: String,
    pub instance_id: Option<String>,
    pub rack_id: Option<String>,
    pub member_epoch: i32,
    pub client_id: String,
    pub client_host: String,
    pub subscribed_topic_names: Vec<String>,
    pub subscribed_topic_regex: Option<String>,
    pub assignment: Vec<(uuid::Uuid, String, Vec<i32>)>,
    pub target_assignment: Vec<(uuid::Uuid, String, Vec<i32>)>,
}

/// One group in ConsumerGroupDescribe; `error` is GROUP_ID_NOT_FOUND for an id that is not a
/// consumer-protocol group.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConsumerGroupSummary {
    pub error: Option<KafkaError>,
    pub state: &'static str,
    pub group_epoch: i32,
    pub assignment_epoch: i32,
    pub assignor: String,
    pub members: Vec<ConsumerMemberSummary>,
}

impl Coordinator {
    /// ConsumerGroupHeartbeat: join (epoch 0), heartbeat and reconcile (epoch > 0), leave (-1,
    /// or -2 for a static member, treated alike). Answers at once.
    pub fn consumer_heartbeat(self: &Arc<Self>, a: ConsumerHeartbeat) -> ConsumerHeartbeatReply {
        self.ensure_started();
        let now = Instant::now();
        let mut st = self.lock();
        let (reply, watch) = match self.heartbeat_locked(&mut st, &a, now) {
            Ok(done) => done,
            Err((e, msg)) => (ConsumerHeartbeatReply::error(e, msg), None),
        };
        self.persist_consumer(&mut st, &a.group_id);
        drop(st);
        if let Some(nonce) = watch {
            if let Some(member) = &reply.member_id {
                self.watch_consumer(a.group_id.clone(), member.clone(), nonce);
            }
        }
        reply
    }

    #[allow(clippy::type_complexity)]
    fn heartbeat_locked(
        &self,
        st: &mut Groups,
        a: &ConsumerHeartbeat,
        now: Instant,
    ) -> Result<(ConsumerHeartbeatReply, Option<u64>), (ResponseError, Option<String>)> {
        use ResponseError as E;
        if a.group_id.is_empty() {
            return Err((E::InvalidRequest, Some("GroupId can't be empty.".into())));
        }
        if let Some(pattern) = a.subscribed_topic_regex.as_deref() {
            if let Err(why) = topic_regex::compile(pattern) {
                return Err((E::InvalidRegularExpression, Some(why)));
            }
        }
        if let Some(name) = &a.server_assignor {
            if !ASSIGNORS.contains(&name.as_str()) {
                return Err((E::UnsupportedAssignor, None));
            }
        }
        if a.member_epoch < -2 {
            return Err((E::InvalidRequest, Some("MemberEpoch is invalid.".into())));
        }
        let mut watch = None;
        let member_id = if a.member_epoch == 0 {
            let (id, nonce) = self.join_consumer(st, a, now)?;
            watch = Some(nonce);
            id
        } else {
            a.member_id.clone()
        };
        let Some(g) = st.consumer.get_mut(&a.group_id) else {
            return Err((E::UnknownMemberId, None));
        };
        if a.member_epoch < 0 {
            if g.remove(&member_id).is_none() {
                return Err((E::UnknownMemberId, None));
            }
            return Ok((
                ConsumerHeartbeatReply {
                    member_id: Some(member_id),
                    member_epoch: a.member_epoch,
                    ..Default::default()
                },
                None,
            ));
        }
        let Some(m) = g.members.get_mut(&member_id) else {
            return Err((E::UnknownMemberId, None));
        };
        if a.member_epoch > m.epoch {
            return Err((E::FencedMemberEpoch, None));
        }
        if a.member_epoch < m.epoch {
            // A lost response: the previous epoch is still fine while the member owns only
            // what it was given.
            let ok = a.member_epoch == m.previous_epoch
                && a.owned.as_ref().is_some_and(|o| subset(o, &m.assigned));
            if !ok {
                return Err((E::FencedMemberEpoch, None));
            }
        }
        m.deadline = now + ms(SESSION_TIMEOUT_MS);
        let mut changed = a.member_epoch == 0;
        if let Some(names) = &a.subscribed_topic_names {
            let set = names.iter().filter(|n| !n.is_empty()).cloned().collect();
            if m.subscribed != set {
                m.subscribed = set;
                changed = true;
            }
        }
        if let Some(pattern) = &a.subscribed_topic_regex {
            // An empty pattern drops the regex subscription.
            let regex = Some(pattern.clone()).filter(|p| !p.is_empty());
            if m.regex != regex {
                m.regex = regex;
                changed = true;
            }
        }
        if a.server_assignor.is_some() && m.assignor != a.server_assignor {
            m.assignor = a.server_assignor.clone();
            changed = true;
        }
        if a.rebalance_timeout_ms > 0 {
            m.rebalance_timeout_ms = a.rebalance_timeout_ms.min(MAX_REBALANCE_TIMEOUT_MS);
        }
        if a.rack_id.is_some() {
            m.rack_id = a.rack_id.clone();
        }
        if g.refresh_topics(&self.registry) || changed {
            g.bump();
        }
        let moved = g.reconcile(&member_id, a.owned.as_ref(), now);
        let Some(m) = g.members.get(&member_id) else {
            return Err((E::UnknownMemberId, None));
        };
        let differs = a.owned.as_ref().is_some_and(|o| !same(o, &m.assigned));
        let assignment = (moved || a.member_epoch == 0 || differs).then(|| m.assigned.clone());
        Ok((
            ConsumerHeartbeatReply {
                error: None,
                member_id: Some(m.id.clone()),
                member_epoch: m.epoch,
                heartbeat_interval_ms: HEARTBEAT_INTERVAL_MS,
                assignment,
            },
            watch,
        ))
    }

    /// Epoch 0: create the group and member as needed; returns the member's id and timer nonce.
    fn join_consumer(
        &self,
        st: &mut Groups,
        a: &ConsumerHeartbeat,
        now: Instant,
    ) -> Result<(String, u64), (ResponseError, Option<String>)> {
        use ResponseError as E;
        if a.member_id.is_empty() && a.version >= 1 {
            return Err((E::InvalidRequest, Some("MemberId can't be empty.".into())));
        }
        if a.rebalance_timeout_ms <= 0 {
            return Err((
                E::InvalidRequest,
                Some("RebalanceTimeoutMs must be provided.".into()),
            ));
        }
        if a.subscribed_topic_names.is_none() && a.subscribed_topic_regex.is_none() {
            return Err((
                E::InvalidRequest,
                Some("SubscribedTopicNames or SubscribedTopicRegex must be set.".into()),
            ));
        }
        if let Some(classic) = st.groups.get(&a.group_id) {
            if !classic.members.is_empty() || classic.state == GroupState::Dead {
                return Err((
                    E::GroupIdNotFound,
                    Some("The group is a classic group.".into()),
                ));
            }
        }
        if !st.consumer.contains_key(&a.group_id) {
            if !st.groups.contains_key(&a.group_id) && st.groups.len() >= self.limits.max_groups {
                super::admin::prune_unused(st);
                if st.groups.len() >= self.limits.max_groups {
                    return Err((E::GroupMaxSizeReached, None));
                }
            }
            st.consumer.insert(a.group_id.clone(), ConsumerGroup::new());
        }
        self.anchor(st, &a.group_id);
        let nonce = self.next_nonce();
        let Some(g) = st.consumer.get_mut(&a.group_id) else {
            return Err((E::CoordinatorNotAvailable, None));
        };
        let member_id = if a.member_id.is_empty() {
            uuid::Uuid::new_v4().simple().to_string()
        } else {
            a.member_id.clone()
        };
        if !g.members.contains_key(&member_id) && g.members.len() >= self.limits.max_group_size {
            return Err((E::GroupMaxSizeReached, None));
        }
        if let Some(instance) = &a.instance_id {
            let previous = g
                .members
                .values()
                .find(|m| m.instance_id.as_ref() == Some(instance) && m.id != member_id)
                .map(|m| m.id.clone());
            if let Some(old) = previous {
                g.remove(&old);
            }
        }
        // A rejoin starts over: whatever the member owned is released.
        g.members.remove(&member_id);
        let mut m = CMember::new(member_id.clone(), nonce, now);
        m.instance_id = a.instance_id.clone();
        m.client_id = a.client_id.clone();
        m.client_host = a.client_host.clone();
        m.rebalance_timeout_ms = a.rebalance_timeout_ms.min(MAX_REBALANCE_TIMEOUT_MS);
        // The heartbeat that follows bumps the group epoch for the new member.
        g.members.insert(member_id.clone(), m);
        Ok((member_id, nonce))
    }

    /// Queue the group's anchor row with its members if a restart must see a change (under the
    /// lock, so rows reach the writer in the order the changes were made). Not waited for: a
    /// failed write leaves the previous row, and members a restart does not find rejoin.
    pub(super) fn persist_consumer(&self, st: &mut Groups, group_id: &str) {
        let Some(g) = st.consumer.get_mut(group_id).filter(|g| g.dirty) else {
            return;
        };
        g.dirty = false;
        let row = super::consumer_rows::to_row(group_id, g);
        drop(self.persist(super::GroupWrite {
            put_groups: vec![row],
            ..Default::default()
        }));
    }

    /// Make sure the group's anchor row exists with protocol type "consumer".
    fn anchor(&self, st: &mut Groups, group_id: &str) {
        let g = st
            .groups
            .entry(group_id.to_owned())
            .or_insert_with(|| Group::new(group_id));
        if g.protocol_type.as_deref() != Some(CONSUMER_PROTOCOL) {
            g.protocol_type = Some(CONSUMER_PROTOCOL.to_owned());
            g.state = GroupState::Empty;
            self.persist_detached(g);
        }
    }

    /// Expire the member when its session ends; fence it when a revocation outlived its
    /// rebalance timeout (checked whenever the timer wakes, at the latest at the session
    /// deadline, so one timer per member suffices).
    pub(super) fn watch_consumer(self: &Arc<Self>, group: String, member: String, nonce: u64) {
        let coord = self.clone();
        tokio::spawn(async move {
            loop {
                let wake = {
                    let mut st = coord.lock();
                    let Some(g) = st.consumer.get_mut(&group) else {
                        return;
                    };
                    let Some(m) = g.members.get(&member).filter(|m| m.nonce == nonce) else {
                        return;
                    };
                    let now = Instant::now();
                    if now >= m.deadline || m.revoke_deadline.is_some_and(|r| now >= r) {
                        g.remove(&member);
                        coord.persist_consumer(&mut st, &group);
                        return;
                    }
                    m.next_wake()
                };
                sleep_until(wake).await;
            }
        });
    }
}

fn same(a: &TopicAssignment, b: &TopicAssignment) -> bool {
    subset(a, b) && subset(b, a)
}
