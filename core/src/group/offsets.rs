//! Committed offsets: OffsetCommit (fenced by membership and generation, answered after COMMIT),
//! OffsetFetch (from memory) and OffsetDelete.
//!
//! Owns: the in-memory copy of every group's committed offsets.
//! Invariants: memory changes only after the store committed the change; of two commits of one
//! partition, memory keeps the later one even if their replies are processed out of order.

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::sync::Arc;

use kafka_protocol::ResponseError;
use uuid::Uuid;

use super::members::check_member;
use super::state::{Group, GroupState};
use super::{durable, subscribed_topics, Coordinator, Groups};
use crate::clock::now_ms;
use crate::error::{KafkaError, KafkaResult};
use crate::store::OffsetRow;
use crate::writer::GroupWrite;

/// One partition's committed offset in memory.
#[derive(Debug, Clone)]
pub(crate) struct Committed {
    pub offset: i64,
    pub leader_epoch: i32,
    pub metadata: Option<String>,
    pub commit_timestamp: i64,
    seq: u64,
}

impl Committed {
    pub fn from_row(o: &OffsetRow, seq: u64) -> Self {
        Committed {
            offset: o.committed_offset,
            leader_epoch: o.leader_epoch,
            metadata: o.metadata.clone(),
            commit_timestamp: o.commit_timestamp,
            seq,
        }
    }
}

/// One partition of an OffsetCommit.
#[derive(Debug, Clone, Default)]
pub struct PartitionCommit {
    pub partition: i32,
    pub offset: i64,
    pub leader_epoch: i32,
    pub metadata: Option<String>,
}

/// An OffsetCommit request as the coordinator needs it.
#[derive(Debug, Clone, Default)]
pub struct CommitArgs {
    pub group_id: String,
    pub generation: i32,
    pub member_id: String,
    pub instance_id: Option<String>,
    pub topics: Vec<(String, Vec<PartitionCommit>)>,
}

/// One partition of an OffsetFetch answer; offset -1 when nothing is committed.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchedPartition {
    pub partition: i32,
    pub offset: i64,
    pub leader_epoch: i32,
    pub metadata: Option<String>,
    /// UNSTABLE_OFFSET_COMMIT: a stable offset was required and an open transaction holds one.
    pub error: Option<KafkaError>,
}

/// Per topic, per partition outcomes, in request order.
pub type TopicResults = Vec<(String, Vec<(i32, KafkaResult<()>)>)>;

impl Coordinator {
    /// OffsetCommit. Membership is checked now (in request order); the future answers after
    /// COMMIT. A generation below 0 with no member id is a commit from outside the group
    /// protocol (admin tools, simple consumers): accepted while the group has no members.
    pub fn commit_offsets(
        self: &Arc<Self>,
        a: CommitArgs,
    ) -> impl Future<Output = TopicResults> + Send + 'static {
        self.ensure_started();
        let mut results: TopicResults = Vec::new();
        let mut rows = Vec::new();
        let mut write = GroupWrite::default();
        let mut st = self.lock();
        let checked = self.check_commit(&mut st, &a);
        let seq = st.next_seq;
        st.next_seq += 1;
        let group_row = match checked {
            Ok(row) => row,
            Err(e) => {
                for (t, parts) in &a.topics {
                    let failed = parts.iter().map(|p| (p.partition, Err(e.clone())));
                    results.push((t.clone(), failed.collect()));
                }
                drop(st);
                return finish_commit(results, Vec::new(), None, self.clone(), seq);
            }
        };
        write.put_groups.extend(group_row);
        let timestamp = now_ms();
        for (name, parts) in &a.topics {
            let topic = self.registry.get(name);
            let mut codes = Vec::new();
            for p in parts {
                let known = topic
                    .as_ref()
                    .filter(|t| t.partition(p.partition).is_some());
                let e = match known {
                    None => Err(ResponseError::UnknownTopicOrPartition.into()),
                    Some(_)
                        if p.metadata.as_ref().map_or(0, String::len)
                            > self.limits.max_offset_metadata_bytes =>
                    {
                        Err(ResponseError::OffsetMetadataTooLarge.into())
                    }
                    Some(t) => {
                        rows.push(OffsetRow {
                            group_id: a.group_id.clone(),
                            topic_id: t.id,
                            partition: p.partition,
                            committed_offset: p.offset,
                            leader_epoch: p.leader_epoch,
                            metadata: p.metadata.clone(),
                            commit_timestamp: timestamp,
                        });
                        Ok(())
                    }
                };
                codes.push((p.partition, e));
            }
            results.push((name.clone(), codes));
        }
        drop(st);
        let rx = if rows.is_empty() && write.put_groups.is_empty() {
            None
        } else {
            write.commit_offsets = rows.clone();
            Some(self.persist(write))
        };
        finish_commit(results, rows, rx, self.clone(), seq)
    }

    /// Membership and generation checks; a new group for an outside commit is created (its row
    /// is returned to be written with the offsets).
    pub(super) fn check_commit(
        &self,
        st: &mut Groups,
        a: &CommitArgs,
    ) -> KafkaResult<Option<crate::store::GroupRow>> {
        // A negative generation (or member epoch) is a commit from outside the group protocol
        // (an admin client, or a consumer that assigns its partitions itself). Kafka takes it
        // while the group has no members, whatever member id it carries: librdkafka's
        // consumer-protocol client sends the id it made up for itself.
        let outside = a.generation < 0;
        if a.group_id.is_empty() {
            return Err(KafkaError::from(ResponseError::InvalidGroupId));
        }
        if let Some(c) = super::consumer_admin::active(st, &a.group_id) {
            return super::consumer_admin::check_commit(c, a).map(|()| None);
        }
        let Some(g) = st.groups.get_mut(&a.group_id) else {
            if !outside {
                return Err(KafkaError::from(ResponseError::IllegalGeneration));
            }
            if st.groups.len() >= self.limits.max_groups {
                super::admin::prune_unused(st);
            }
            if st.groups.len() >= self.limits.max_groups {
                return Err(KafkaError::from(ResponseError::GroupMaxSizeReached));
            }
            let g = Group::new(&a.group_id);
            let row = g.to_row(None);
            st.groups.insert(a.group_id.clone(), g);
            return Ok(Some(row));
        };
        if outside {
            match g.state {
                GroupState::Dead => {
                    return Err(KafkaError::from(ResponseError::CoordinatorNotAvailable))
                }
                _ if g.members.is_empty() => return Ok(None),
                // With members, the commit is checked as a member's would be.
                _ => {}
            }
        }
        check_member(g, &a.member_id, a.instance_id.as_deref(), a.generation)?;
        if g.state == GroupState::CompletingRebalance {
            return Err(KafkaError::from(ResponseError::RebalanceInProgress));
        }
        if let Some(m) = g.members.get_mut(&a.member_id) {
            m.deadline = tokio::time::Instant::now() + m.session_timeout();
        }
        Ok(None)
    }

    /// OffsetFetch of one group: the named partitions, or every committed partition of topics
    /// that still exist when `topics` is `None`. With `require_stable` (v7+), a partition whose
    /// offset an open transaction is about to commit answers UNSTABLE_OFFSET_COMMIT, so a
    /// consumer taking it over waits instead of reading from before that commit (KIP-447).
    pub fn fetch_offsets(
        self: &Arc<Self>,
        group_id: &str,
        topics: Option<Vec<(String, Vec<i32>)>>,
        require_stable: bool,
    ) -> Vec<(String, Vec<FetchedPartition>)> {
        self.ensure_started();
        let pending: HashSet<(Uuid, i32)> = if require_stable {
            self.registry.producers().lock().pending_offsets(group_id)
        } else {
            HashSet::new()
        };
        let st = self.lock();
        let committed = st.offsets.get(group_id);
        let lookup = |id: Uuid, partition: i32| {
            if pending.contains(&(id, partition)) {
                return FetchedPartition {
                    partition,
                    offset: -1,
                    leader_epoch: -1,
                    metadata: Some(String::new()),
                    error: Some(ResponseError::UnstableOffsetCommit.into()),
                };
            }
            let c = committed.and_then(|m| m.get(&(id, partition)));
            FetchedPartition {
                partition,
                offset: c.map_or(-1, |c| c.offset),
                leader_epoch: c.map_or(-1, |c| c.leader_epoch),
                metadata: c.map_or(Some(String::new()), |c| c.metadata.clone()),
                error: None,
            }
        };
        match topics {
            Some(topics) => topics
                .into_iter()
                .map(|(name, parts)| {
                    let id = self.registry.get(&name).map_or(Uuid::nil(), |t| t.id);
                    let fetched = parts.into_iter().map(|p| lookup(id, p)).collect();
                    (name, fetched)
                })
                .collect(),
            None => {
                let mut by_topic: BTreeMap<String, Vec<FetchedPartition>> = BTreeMap::new();
                for (id, partition) in committed.into_iter().flat_map(|m| m.keys()) {
                    if let Some(t) = self.registry.get_by_id(id) {
                        by_topic
                            .entry(t.name.clone())
                            .or_default()
                            .push(lookup(*id, *partition));
                    }
                }
                by_topic
                    .into_iter()
                    .map(|(name, mut parts)| {
                        parts.sort_by_key(|p| p.partition);
                        (name, parts)
                    })
                    .collect()
            }
        }
    }

    /// OffsetDelete: removes committed offsets of topics no member is subscribed to.
    pub fn delete_offsets(
        self: &Arc<Self>,
        group_id: &str,
        topics: Vec<(String, Vec<i32>)>,
    ) -> impl Future<Output = KafkaResult<TopicResults>> + Send + 'static {
        self.ensure_started();
        let prepared = self.prepare_offset_delete(group_id, topics);
        let coord = self.clone();
        let group = group_id.to_owned();
        async move {
            let (mut results, keys, rx) = prepared?;
            let Some(rx) = rx else {
                return Ok(results);
            };
            let outcome = durable(rx).await;
            match outcome {
                Ok(()) => {
                    let mut st = coord.lock();
                    if let Some(m) = st.offsets.get_mut(&group) {
                        for (_, id, p) in &keys {
                            m.remove(&(*id, *p));
                        }
                    }
                }
                Err(e) => {
                    fail_written(&mut results, &e);
                }
            }
            Ok(results)
        }
    }

    #[allow(clippy::type_complexity)]
    fn prepare_offset_delete(
        &self,
        group_id: &str,
        topics: Vec<(String, Vec<i32>)>,
    ) -> Result<
        (
            TopicResults,
            Vec<(String, Uuid, i32)>,
            Option<tokio::sync::oneshot::Receiver<KafkaResult<()>>>,
        ),
        KafkaError,
    > {
        let st = self.lock();
        let g = st
            .groups
            .get(group_id)
            .filter(|g| g.state != GroupState::Dead)
            .ok_or(KafkaError::from(ResponseError::GroupIdNotFound))?;
        if !g.members.is_empty() && g.protocol_type.as_deref() != Some("consumer") {
            return Err(KafkaError::from(ResponseError::NonEmptyGroup));
        }
        // None: some member's subscription could not be read, so every topic counts as used.
        let subscribed: Option<HashSet<String>> = g
            .members
            .values()
            .map(|m| {
                let protocol = g
                    .protocol_name
                    .clone()
                    .or_else(|| m.protocols.first().map(|(p, _)| p.clone()))
                    .unwrap_or_default();
                subscribed_topics(&m.metadata_for(&protocol))
            })
            .try_fold(HashSet::new(), |mut acc, t| {
                acc.extend(t?);
                Some(acc)
            });
        let mut keys = Vec::new();
        let mut results = Vec::new();
        for (name, parts) in topics {
            let topic = self.registry.get(&name);
            let used = subscribed.as_ref().is_none_or(|s| s.contains(&name));
            let codes = parts
                .into_iter()
                .map(|p| {
                    let e = match &topic {
                        None => Err(ResponseError::UnknownTopicOrPartition.into()),
                        Some(_) if used => Err(ResponseError::GroupSubscribedToTopic.into()),
                        Some(t) => {
                            keys.push((group_id.to_owned(), t.id, p));
                            Ok(())
                        }
                    };
                    (p, e)
                })
                .collect();
            results.push((name, codes));
        }
        drop(st);
        let rx = (!keys.is_empty()).then(|| {
            self.persist(GroupWrite {
                delete_offsets: keys.clone(),
                ..GroupWrite::default()
            })
        });
        Ok((results, keys, rx))
    }
}

/// The answer of an OffsetCommit: after COMMIT, memory takes the rows and the codes stand; on a
/// failed commit every partition that was to be written gets the error.
async fn finish_commit(
    mut results: TopicResults,
    rows: Vec<OffsetRow>,
    rx: Option<tokio::sync::oneshot::Receiver<KafkaResult<()>>>,
    coord: Arc<Coordinator>,
    seq: u64,
) -> TopicResults {
    let Some(rx) = rx else {
        return results;
    };
    match durable(rx).await {
        Ok(()) => {
            let mut st = coord.lock();
            for o in &rows {
                let slot = st.offsets.entry(o.group_id.clone()).or_default();
                let newer = slot
                    .get(&(o.topic_id, o.partition))
                    .is_none_or(|c| c.seq < seq);
                if newer {
                    slot.insert((o.topic_id, o.partition), Committed::from_row(o, seq));
                }
            }
        }
        Err(e) => {
            fail_written(&mut results, &e);
        }
    }
    results
}

/// A failed commit: every partition that was to be written gets its error.
fn fail_written(results: &mut TopicResults, e: &KafkaError) {
    for (_, outcomes) in results {
        for (_, r) in outcomes.iter_mut().filter(|(_, r)| r.is_ok()) {
            *r = Err(e.clone());
        }
    }
}
