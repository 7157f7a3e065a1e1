//! A consumer-protocol group (KIP-848) and its members: the group epoch, the target assignment
//! of that epoch, and each member's reconciliation towards its target.
//!
//! Owns: the data of one consumer-protocol group and the pure decisions over it (when the group
//! epoch bumps, the target assignment, what a member may own now). Must not touch: timers, the
//! lock, the writer, the wire format.
//!
//! Invariants: the target assignment is always that of the current group epoch (it is
//! recomputed whenever the epoch bumps); a partition is in at most one member's `assigned` or
//! `revoking` set, so a partition moving from A to B reaches B only after A acknowledged its
//! revocation; a member's epoch only grows, and reaches the group's assignment epoch only once
//! it owns nothing outside its target.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use tokio::time::Instant;
use uuid::Uuid;

use super::assignor::{assign, AssignMember, TopicAssignment, DEFAULT_ASSIGNOR};
use super::topic_regex::Resolved;
use crate::log::Registry;

/// Kafka's `group.consumer.session.timeout.ms` default.
pub const SESSION_TIMEOUT_MS: i32 = 45_000;
/// The heartbeat interval handed to members (Kafka's default is 5000 ms; a shorter interval
/// lets revocations and new partitions travel faster).
pub const HEARTBEAT_INTERVAL_MS: i32 = 3_000;
/// Rebalance timeouts above this are clamped, so a hostile value cannot park a revocation.
pub const MAX_REBALANCE_TIMEOUT_MS: i32 = 1_800_000;

/// Where a member is in its reconciliation (Kafka's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MemberState {
    /// Owns its whole target at the group's assignment epoch.
    Stable,
    /// Must give up `revoking` and acknowledge it before moving on.
    UnrevokedPartitions,
    /// At the assignment epoch, waiting for partitions other members still own.
    UnreleasedPartitions,
}

#[derive(Debug)]
pub(crate) struct CMember {
    pub id: String,
    pub instance_id: Option<String>,
    pub rack_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub epoch: i32,
    pub previous_epoch: i32,
    pub rebalance_timeout_ms: i32,
    pub subscribed: BTreeSet<String>,
    /// The member's topic regex (SubscribedTopicRegex), resolved by the group.
    pub regex: Option<String>,
    pub assignor: Option<String>,
    /// What the member may own now (its assignment as last computed).
    pub assigned: TopicAssignment,
    /// Partitions the member must give up; nobody else gets them until it acknowledges.
    pub revoking: TopicAssignment,
    pub state: MemberState,
    /// The session expires at this instant unless the member heartbeats.
    pub deadline: Instant,
    /// A revocation not acknowledged by then fences the member.
    pub revoke_deadline: Option<Instant>,
    /// Identifies this incarnation of the member to its timer.
    pub nonce: u64,
}

impl CMember {
    pub fn new(id: String, nonce: u64, now: Instant) -> Self {
        CMember {
            id,
            instance_id: None,
            rack_id: None,
            client_id: String::new(),
            client_host: String::new(),
            epoch: 0,
            previous_epoch: -1,
            rebalance_timeout_ms: MAX_REBALANCE_TIMEOUT_MS,
            subscribed: BTreeSet::new(),
            regex: None,
            assignor: None,
            assigned: TopicAssignment::new(),
            revoking: TopicAssignment::new(),
            state: MemberState::Stable,
            deadline: now + ms(SESSION_TIMEOUT_MS),
            revoke_deadline: None,
            nonce,
        }
    }

    /// The instant its timer must look at it next.
    pub fn next_wake(&self) -> Instant {
        self.revoke_deadline
            .map_or(self.deadline, |r| r.min(self.deadline))
    }
}

pub(crate) fn ms(v: i32) -> std::time::Duration {
    std::time::Duration::from_millis(u64::try_from(v).unwrap_or(0))
}

#[derive(Debug)]
pub(crate) struct ConsumerGroup {
    pub epoch: i32,
    pub assignment_epoch: i32,
    pub assignor: String,
    pub members: BTreeMap<String, CMember>,
    pub target: BTreeMap<String, TopicAssignment>,
    /// Name -> (id, partition count) of the subscribed topics that exist, as of the epoch.
    pub topics: BTreeMap<String, (Uuid, i32)>,
    /// The members' topic regexes and what they match.
    pub regexes: Resolved,
    /// Something a restart must see changed since the group was last written.
    pub dirty: bool,
}

impl ConsumerGroup {
    pub fn new() -> Self {
        ConsumerGroup {
            epoch: 0,
            assignment_epoch: 0,
            assignor: DEFAULT_ASSIGNOR.to_owned(),
            members: BTreeMap::new(),
            target: BTreeMap::new(),
            topics: BTreeMap::new(),
            regexes: Resolved::default(),
            dirty: false,
        }
    }

    /// The topics a member subscribes to: its names and what its regex matches.
    pub fn subscription(&self, m: &CMember) -> BTreeSet<String> {
        let mut out = m.subscribed.clone();
        if let Some(matched) = m.regex.as_deref().and_then(|r| self.regexes.topics(r)) {
            out.extend(matched.iter().cloned());
        }
        out
    }

    /// Kafka's consumer group states: Empty, Assigning, Reconciling, Stable.
    pub fn state_name(&self) -> &'static str {
        if self.members.is_empty() {
            "Empty"
        } else if self.assignment_epoch != self.epoch {
            "Assigning"
        } else if self
            .members
            .values()
            .all(|m| m.state == MemberState::Stable && m.epoch == self.assignment_epoch)
        {
            "Stable"
        } else {
            "Reconciling"
        }
    }

    /// Bump the group epoch and compute the target assignment of the new epoch.
    pub fn bump(&mut self) {
        self.epoch = self.epoch.saturating_add(1);
        self.retarget();
    }

    /// The target assignment of the current epoch.
    fn retarget(&mut self) {
        self.choose_assignor();
        let subscriptions: Vec<BTreeSet<String>> = self
            .members
            .values()
            .map(|m| self.subscription(m))
            .collect();
        let members: Vec<AssignMember<'_>> = self
            .members
            .values()
            .zip(&subscriptions)
            .map(|(m, topics)| AssignMember {
                id: &m.id,
                topics,
                current: &m.assigned,
            })
            .collect();
        let target = assign(&self.assignor, &members, &self.topics);
        self.target = target;
        self.assignment_epoch = self.epoch;
        self.dirty = true;
    }

    /// Take up the epoch a restart found: the target is computed again from what members own;
    /// if it differs from that (topics changed meanwhile), the epoch moves on so everyone
    /// reconciles.
    pub fn restore_epoch(&mut self, epoch: i32) {
        self.epoch = epoch;
        self.retarget();
        let settled = self
            .members
            .values()
            .all(|m| m.epoch == epoch && self.target.get(&m.id).is_some_and(|t| *t == m.assigned));
        if !settled {
            self.bump();
        }
    }

    /// The assignor most members ask for (ties by name), or the default.
    fn choose_assignor(&mut self) {
        let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
        for m in self.members.values() {
            if let Some(a) = &m.assignor {
                *votes.entry(a.as_str()).or_default() += 1;
            }
        }
        let best = votes
            .iter()
            .max_by_key(|(name, n)| (**n, std::cmp::Reverse(**name)))
            .map(|(name, _)| (*name).to_owned());
        self.assignor = best.unwrap_or_else(|| DEFAULT_ASSIGNOR.to_owned());
    }

    /// Re-read the subscribed topics from the registry (resolving regexes again when topics
    /// came or went); a topic created, deleted or grown bumps the epoch. Returns whether it did.
    pub fn refresh_topics(&mut self, registry: &Registry) -> bool {
        let patterns: Vec<String> = self
            .members
            .values()
            .filter_map(|m| m.regex.clone())
            .collect();
        let matches_moved = self
            .regexes
            .refresh(patterns.iter().map(String::as_str), registry);
        let names: BTreeSet<String> = self
            .members
            .values()
            .flat_map(|m| self.subscription(m))
            .collect();
        let snapshot: BTreeMap<String, (Uuid, i32)> = names
            .into_iter()
            .filter_map(|n| {
                let t = registry.get(&n)?;
                let count = i32::try_from(t.partitions.len()).unwrap_or(i32::MAX);
                Some((n.clone(), (t.id, count)))
            })
            .collect();
        if snapshot == self.topics {
            return matches_moved;
        }
        self.topics = snapshot;
        true
    }

    /// Remove a member; its partitions become free for the others. Bumps the epoch.
    pub fn remove(&mut self, member_id: &str) -> Option<CMember> {
        let m = self.members.remove(member_id)?;
        self.dirty = true;
        self.target.remove(member_id);
        self.bump();
        Some(m)
    }

    /// Partitions owned or still being revoked by members other than `me`.
    fn busy(&self, me: &str) -> HashSet<(Uuid, i32)> {
        self.members
            .values()
            .filter(|m| m.id != me)
            .flat_map(|m| m.assigned.iter().chain(m.revoking.iter()))
            .flat_map(|(t, ps)| ps.iter().map(move |p| (*t, *p)))
            .collect()
    }

    /// Move a member towards its target, given the partitions it reported owning (`None`: not
    /// reported in this heartbeat). Returns whether its assignment changed.
    pub fn reconcile(
        &mut self,
        member_id: &str,
        owned: Option<&TopicAssignment>,
        now: Instant,
    ) -> bool {
        let target = self.target.get(member_id).cloned().unwrap_or_default();
        let busy = self.busy(member_id);
        let assignment_epoch = self.assignment_epoch;
        let Some(m) = self.members.get_mut(member_id) else {
            return false;
        };
        let before = m.assigned.clone();
        if m.state == MemberState::UnrevokedPartitions {
            let still_owned = owned.is_none_or(|o| overlaps(o, &m.revoking));
            if still_owned {
                return false;
            }
            m.revoking.clear();
            m.revoke_deadline = None;
        }
        if m.epoch == assignment_epoch && m.state == MemberState::Stable {
            return false;
        }
        let keep = intersect(&m.assigned, &target);
        let revoke = minus(&m.assigned, &target);
        if !revoke.is_empty() {
            m.assigned = keep;
            m.revoking = revoke;
            m.state = MemberState::UnrevokedPartitions;
            m.revoke_deadline = Some(now + ms(m.rebalance_timeout_ms));
            self.dirty = true;
            return true;
        }
        let mut next = keep;
        let mut missing = false;
        for (t, ps) in &target {
            for p in ps {
                if busy.contains(&(*t, *p)) {
                    missing = true;
                } else {
                    next.entry(*t).or_default().insert(*p);
                }
            }
        }
        if m.epoch != assignment_epoch {
            m.previous_epoch = m.epoch;
            m.epoch = assignment_epoch;
        }
        m.state = if missing {
            MemberState::UnreleasedPartitions
        } else {
            MemberState::Stable
        };
        m.assigned = next;
        self.dirty = true;
        m.assigned != before
    }
}

fn overlaps(a: &TopicAssignment, b: &TopicAssignment) -> bool {
    a.iter()
        .any(|(t, ps)| b.get(t).is_some_and(|q| !ps.is_disjoint(q)))
}

fn intersect(a: &TopicAssignment, b: &TopicAssignment) -> TopicAssignment {
    a.iter()
        .filter_map(|(t, ps)| {
            let q = b.get(t)?;
            let both: BTreeSet<i32> = ps.intersection(q).copied().collect();
            (!both.is_empty()).then_some((*t, both))
        })
        .collect()
}

fn minus(a: &TopicAssignment, b: &TopicAssignment) -> TopicAssignment {
    a.iter()
        .filter_map(|(t, ps)| {
            let rest: BTreeSet<i32> = match b.get(t) {
                Some(q) => ps.difference(q).copied().collect(),
                None => ps.clone(),
            };
            (!rest.is_empty()).then_some((*t, rest))
        })
        .collect()
}

/// Whether every partition of `a` is in `b`.
pub(crate) fn subset(a: &TopicAssignment, b: &TopicAssignment) -> bool {
    a.iter()
        .all(|(t, ps)| ps.is_empty() || b.get(t).is_some_and(|q| ps.is_subset(q)))
}
