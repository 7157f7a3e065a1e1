//! An in-memory [`Store`] for unit tests. It can be told to fail the next commit, so tests can
//! check that a failed commit leaves memory untouched.

use std::collections::{BTreeMap, HashMap};

use uuid::Uuid;

use super::{GroupRow, OffsetRow, PartitionRow, Snapshot, Store, StoreError, TopicRow, WriteSet};
use crate::log::Batch;

#[derive(Debug, Default)]
pub struct MemStore {
    topics: BTreeMap<Uuid, TopicRow>,
    heads: BTreeMap<(Uuid, i32), PartitionRow>,
    batches: HashMap<(Uuid, i32), BTreeMap<i64, Batch>>,
    groups: BTreeMap<String, GroupRow>,
    offsets: BTreeMap<(String, Uuid, i32), OffsetRow>,
    /// When set, the next commit fails with this message.
    pub fail_next_commit: Option<String>,
    /// Commits that succeeded.
    pub commits: usize,
}

impl MemStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn partition_batches(&self, topic: Uuid, partition: i32) -> impl Iterator<Item = &Batch> {
        self.batches
            .get(&(topic, partition))
            .into_iter()
            .flat_map(|m| m.values())
    }
}

impl Store for MemStore {
    fn load_topics(&mut self) -> Result<Snapshot, StoreError> {
        Ok(Snapshot {
            topics: self.topics.values().cloned().collect(),
            partitions: self.heads.values().copied().collect(),
            groups: self.groups.values().cloned().collect(),
            offsets: self.offsets.values().cloned().collect(),
        })
    }

    fn load_tail(
        &mut self,
        topic: Uuid,
        partition: i32,
        budget: usize,
    ) -> Result<Vec<Batch>, StoreError> {
        let mut out = Vec::new();
        let mut total = 0;
        for b in self
            .partition_batches(topic, partition)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            if !out.is_empty() && total + b.bytes.len() > budget {
                break;
            }
            total += b.bytes.len();
            out.push(b.clone());
        }
        out.reverse();
        Ok(out)
    }

    fn commit(&mut self, ws: &WriteSet) -> Result<(), StoreError> {
        if let Some(msg) = self.fail_next_commit.take() {
            return Err(StoreError(msg));
        }
        for t in &ws.create_topics {
            self.topics.insert(t.id, t.clone());
            for p in 0..t.partitions {
                self.heads.insert(
                    (t.id, p),
                    PartitionRow {
                        topic_id: t.id,
                        partition: p,
                        next_offset: 0,
                        log_start_offset: 0,
                    },
                );
            }
        }
        for id in &ws.delete_topics {
            self.topics.remove(id);
            self.heads.retain(|(t, _), _| t != id);
            self.batches.retain(|(t, _), _| t != id);
            self.offsets.retain(|(_, t, _), _| t != id);
        }
        for (id, old, new) in &ws.add_partitions {
            if let Some(t) = self.topics.get_mut(id) {
                t.partitions = *new;
            }
            for p in *old..*new {
                self.heads.insert(
                    (*id, p),
                    PartitionRow {
                        topic_id: *id,
                        partition: p,
                        next_offset: 0,
                        log_start_offset: 0,
                    },
                );
            }
        }
        for (id, p, b) in &ws.appends {
            self.batches
                .entry((*id, *p))
                .or_default()
                .insert(b.base_offset, b.clone());
        }
        for h in &ws.heads {
            self.heads.insert((h.topic_id, h.partition), *h);
        }
        for (id, configs) in &ws.topic_configs {
            if let Some(t) = self.topics.get_mut(id) {
                t.configs = configs.clone();
            }
        }
        for g in &ws.put_groups {
            self.groups.insert(g.group_id.clone(), g.clone());
        }
        for g in &ws.delete_groups {
            self.groups.remove(g);
            self.offsets.retain(|(group, _, _), _| group != g);
        }
        for o in &ws.commit_offsets {
            self.offsets
                .insert((o.group_id.clone(), o.topic_id, o.partition), o.clone());
        }
        for key in &ws.delete_offsets {
            self.offsets.remove(key);
        }
        self.commits += 1;
        Ok(())
    }

    fn read_batches(
        &mut self,
        topic: Uuid,
        partition: i32,
        from_offset: i64,
        max_bytes: usize,
    ) -> Result<Vec<Batch>, StoreError> {
        let mut out: Vec<Batch> = Vec::new();
        let mut total = 0;
        for b in self.partition_batches(topic, partition) {
            if b.last_offset < from_offset {
                continue;
            }
            if !out.is_empty() && total + b.bytes.len() > max_bytes {
                break;
            }
            total += b.bytes.len();
            out.push(b.clone());
        }
        Ok(out)
    }

    fn find_by_timestamp(
        &mut self,
        topic: Uuid,
        partition: i32,
        from_offset: i64,
        timestamp: i64,
    ) -> Result<Option<Batch>, StoreError> {
        Ok(self
            .partition_batches(topic, partition)
            .find(|b| b.last_offset >= from_offset && b.max_timestamp >= timestamp)
            .cloned())
    }

    fn find_max_timestamp(
        &mut self,
        topic: Uuid,
        partition: i32,
        from_offset: i64,
    ) -> Result<Option<Batch>, StoreError> {
        let mut best: Option<&Batch> = None;
        for b in self.partition_batches(topic, partition) {
            if b.last_offset < from_offset {
                continue;
            }
            if best.is_none_or(|x| b.max_timestamp > x.max_timestamp) {
                best = Some(b);
            }
        }
        Ok(best.cloned())
    }
}
