//! An in-memory [`Store`] for unit tests. It can be told to fail the next commit, so tests can
//! check that a failed commit leaves memory untouched. Like the tables' primary key, it refuses
//! a batch at an offset it already holds, and then writes nothing of the write set.

use std::collections::{BTreeMap, HashMap};

use uuid::Uuid;

use super::{
    AbortedTxnRow, AuditRow, BatchMeta, GroupRow, OffsetRow, PartitionRow, ProducerBatchRow,
    ProducerRow, RoleRow, Snapshot, Store, StoreError, TopicRow, TxnRow, WriteSet,
    PRODUCER_BATCHES_KEPT,
};
use crate::acl::{AclBinding, AclFilter, AclState};
use crate::log::Batch;
use crate::protocol::batch::attributes;

#[derive(Debug, Default)]
pub struct MemStore {
    topics: BTreeMap<Uuid, TopicRow>,
    heads: BTreeMap<(Uuid, i32), PartitionRow>,
    batches: HashMap<(Uuid, i32), BTreeMap<i64, Batch>>,
    /// Delete horizons by (topic, partition, base offset).
    horizons: HashMap<(Uuid, i32, i64), i64>,
    groups: BTreeMap<String, GroupRow>,
    offsets: BTreeMap<(String, Uuid, i32), OffsetRow>,
    producers: BTreeMap<i64, ProducerRow>,
    transactions: BTreeMap<String, TxnRow>,
    aborted: Vec<AbortedTxnRow>,
    /// Roles logins look up (tests fill it).
    pub roles: BTreeMap<String, RoleRow>,
    /// Role → roles it is a member of (tests fill it).
    pub memberships: BTreeMap<String, Vec<String>>,
    /// ACL bindings, with who created them.
    pub acls: BTreeMap<AclBinding, String>,
    /// The audit log, oldest first.
    pub audit: Vec<AuditRow>,
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

impl MemStore {
    /// The newest non-control batches per (topic, partition, producer), as the SQL store's
    /// window query returns them.
    fn producer_batches(&self) -> Vec<ProducerBatchRow> {
        let mut out = Vec::new();
        for ((topic_id, partition), batches) in &self.batches {
            let mut seen: HashMap<i64, usize> = HashMap::new();
            for b in batches.values().rev() {
                if b.producer_id < 0 || attributes::is_control(b.attributes) {
                    continue;
                }
                let n = seen.entry(b.producer_id).or_default();
                if *n >= PRODUCER_BATCHES_KEPT {
                    continue;
                }
                *n += 1;
                out.push(ProducerBatchRow {
                    topic_id: *topic_id,
                    partition: *partition,
                    producer_id: b.producer_id,
                    producer_epoch: b.producer_epoch,
                    base_sequence: b.base_sequence,
                    record_count: b.record_count,
                    base_offset: b.base_offset,
                    last_offset: b.last_offset,
                });
            }
        }
        out
    }
}

impl Store for MemStore {
    fn load_topics(&mut self) -> Result<Snapshot, StoreError> {
        Ok(Snapshot {
            topics: self.topics.values().cloned().collect(),
            partitions: self.heads.values().copied().collect(),
            groups: self.groups.values().cloned().collect(),
            offsets: self.offsets.values().cloned().collect(),
            producers: self.producers.values().cloned().collect(),
            transactions: self.transactions.values().cloned().collect(),
            aborted_txns: self.aborted.clone(),
            producer_batches: self.producer_batches(),
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
            if total + b.bytes.len() > budget {
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
        // Checked before anything is written: the commit is all or nothing.
        let stored = |t: &Uuid, p: &i32, o: &i64| {
            self.batches
                .get(&(*t, *p))
                .is_some_and(|m| m.contains_key(o))
        };
        let mut seen = std::collections::HashSet::new();
        for (t, p, b) in &ws.appends {
            if stored(t, p, &b.base_offset) || !seen.insert((*t, *p, b.base_offset)) {
                return Err(StoreError(format!(
                    "duplicate key: batch at offset {} of partition {p} is already stored",
                    b.base_offset
                )));
            }
        }
        for t in &ws.create_topics {
            self.topics.insert(t.id, t.clone());
            for p in 0..t.partitions {
                self.heads.insert(
                    (t.id, p),
                    PartitionRow {
                        topic_id: t.id,
                        partition: p,
                        ..PartitionRow::default()
                    },
                );
            }
        }
        for id in &ws.delete_topics {
            self.topics.remove(id);
            self.heads.retain(|(t, _), _| t != id);
            self.batches.retain(|(t, _), _| t != id);
            self.horizons.retain(|(t, _, _), _| t != id);
            self.offsets.retain(|(_, t, _), _| t != id);
            self.aborted.retain(|a| a.topic_id != *id);
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
                        ..PartitionRow::default()
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
        for (id, p, base) in &ws.delete_batches {
            if let Some(m) = self.batches.get_mut(&(*id, *p)) {
                m.remove(base);
            }
            self.horizons.remove(&(*id, *p, *base));
        }
        for (id, p, b) in &ws.replace_batches {
            if let Some(slot) = self
                .batches
                .get_mut(&(*id, *p))
                .and_then(|m| m.get_mut(&b.base_offset))
            {
                *slot = b.clone();
            }
        }
        for (id, p, base, at) in &ws.delete_horizons {
            if self
                .batches
                .get(&(*id, *p))
                .is_some_and(|m| m.contains_key(base))
            {
                self.horizons.insert((*id, *p, *base), *at);
            }
        }
        for h in &ws.heads {
            // As the SQL store's UPDATE: these four columns, the cleaner's left alone.
            if let Some(row) = self.heads.get_mut(&(h.topic_id, h.partition)) {
                row.next_offset = h.next_offset;
                row.log_start_offset = h.log_start_offset;
                row.stored_bytes = h.stored_bytes;
                row.stored_batches = h.stored_batches;
            }
        }
        for (id, p, offset, at) in &ws.cleaned {
            if let Some(row) = self.heads.get_mut(&(*id, *p)) {
                row.cleaned_offset = *offset;
                row.cleaned_at_ms = Some(*at);
            }
        }
        for (id, configs) in &ws.topic_configs {
            if let Some(t) = self.topics.get_mut(id) {
                t.configs = configs.clone();
            }
        }
        for e in &ws.expire_offsets {
            let key = (e.group_id.clone(), e.topic_id, e.partition);
            if self
                .offsets
                .get(&key)
                .is_some_and(|o| o.commit_timestamp < e.before_ms)
            {
                self.offsets.remove(&key);
            }
        }
        for g in &ws.expire_groups {
            let empty = self
                .groups
                .get(g)
                .is_some_and(|r| r.generation_id == 0 && r.members.is_empty());
            if empty && !self.offsets.keys().any(|(group, _, _)| group == g) {
                self.groups.remove(g);
            }
        }
        for g in &ws.delete_groups {
            self.groups.remove(g);
            self.offsets.retain(|(group, _, _), _| group != g);
        }
        for g in &ws.put_groups {
            self.groups.insert(g.group_id.clone(), g.clone());
        }
        for key in &ws.delete_offsets {
            self.offsets.remove(key);
        }
        for o in &ws.commit_offsets {
            self.offsets
                .insert((o.group_id.clone(), o.topic_id, o.partition), o.clone());
        }
        for p in &ws.put_producers {
            self.producers.insert(p.producer_id, p.clone());
        }
        for t in &ws.put_transactions {
            self.transactions
                .insert(t.transactional_id.clone(), t.clone());
        }
        self.aborted.extend(ws.aborted_txns.iter().copied());
        for (t, p, start) in &ws.trim_aborted {
            self.aborted
                .retain(|a| !(a.topic_id == *t && a.partition == *p && a.last_offset < *start));
        }
        for id in &ws.delete_producers {
            self.producers.remove(id);
        }
        for id in &ws.delete_transactions {
            self.transactions.remove(id);
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

    fn role(&mut self, name: &str) -> Result<Option<RoleRow>, StoreError> {
        Ok(self.roles.get(name).cloned())
    }

    fn acl_state(&mut self, limit: usize) -> Result<AclState, StoreError> {
        let named: std::collections::HashSet<&str> = self
            .acls
            .keys()
            .filter_map(|b| b.principal.strip_prefix("User:"))
            .collect();
        Ok(AclState {
            bindings: self.acls.keys().take(limit).cloned().collect(),
            superusers: self
                .roles
                .iter()
                .filter(|(_, r)| r.superuser)
                .map(|(n, _)| n.clone())
                .collect(),
            member_of: self
                .memberships
                .iter()
                .map(|(m, gs)| {
                    let gs = gs.iter().filter(|g| named.contains(g.as_str())).cloned();
                    (m.clone(), gs.collect())
                })
                .collect(),
            truncated: self.acls.len() > limit,
        })
    }

    fn create_acls(&mut self, bindings: &[AclBinding], by: &str) -> Result<(), StoreError> {
        if let Some(m) = self.fail_next_commit.take() {
            return Err(StoreError(m));
        }
        for b in bindings {
            self.acls.entry(b.clone()).or_insert_with(|| by.to_owned());
        }
        Ok(())
    }

    fn append_audit(&mut self, rows: &[AuditRow]) -> Result<(), StoreError> {
        self.audit.extend_from_slice(rows);
        Ok(())
    }

    fn delete_acls(&mut self, filters: &[AclFilter]) -> Result<Vec<Vec<AclBinding>>, StoreError> {
        if let Some(m) = self.fail_next_commit.take() {
            return Err(StoreError(m));
        }
        Ok(filters
            .iter()
            .map(|f| {
                let gone: Vec<AclBinding> =
                    self.acls.keys().filter(|b| f.matches(b)).cloned().collect();
                for b in &gone {
                    self.acls.remove(b);
                }
                gone
            })
            .collect())
    }

    fn scram_roles(&mut self, limit: usize) -> Result<Vec<(String, String)>, StoreError> {
        Ok(self
            .roles
            .iter()
            .filter_map(|(n, r)| Some((n.clone(), r.password.clone()?)))
            .filter(|(_, p)| p.starts_with("SCRAM-SHA-256$"))
            .take(limit)
            .collect())
    }

    fn batch_metadata(
        &mut self,
        topic: Uuid,
        partition: i32,
        from_offset: i64,
        max_rows: usize,
    ) -> Result<Vec<BatchMeta>, StoreError> {
        Ok(self
            .partition_batches(topic, partition)
            .filter(|b| b.last_offset >= from_offset)
            .take(max_rows)
            .map(|b| BatchMeta {
                base_offset: b.base_offset,
                last_offset: b.last_offset,
                max_timestamp: b.max_timestamp,
                attributes: b.attributes,
                producer_id: b.producer_id,
                base_sequence: b.base_sequence,
                size: b.bytes.len(),
                delete_horizon_ms: self
                    .horizons
                    .get(&(topic, partition, b.base_offset))
                    .copied(),
            })
            .collect())
    }
}
