//! The group commit of produce requests, with the sequence checks of idempotent and
//! transactional batches.
//!
//! Sequence windows and transaction first offsets are staged on copies during the commit and
//! written to the producer table only after COMMIT, so a failed commit leaves them untouched.

use std::collections::HashMap;
use std::sync::Arc;

use indexmap::IndexMap;
use kafka_protocol::ResponseError;
use tokio::sync::oneshot;
use uuid::Uuid;

use super::group_writes::GroupChanges;
use super::{stamp, with_log_append_time, Append, AppendResult, Appended, GroupWrite, Writer};
use crate::clock::now_ms;
use crate::error::{KafkaError, KafkaResult};
use crate::log::{configs, Batch, PartitionLog};
use crate::protocol::batch::attributes;
use crate::store::{PartitionRow, Store, WriteSet};
use crate::txn::{check_sequence, PartitionSeqs, SeqBatch, SeqOutcome, Table, Txn, TxnState};

type Reply = Option<oneshot::Sender<Vec<AppendResult>>>;
type GroupReply = oneshot::Sender<KafkaResult<()>>;
/// Batches staged per partition, in commit order, with the log they publish to and the
/// transactions they open there (producer id, first offset).
type Staged = IndexMap<(Uuid, i32), (Arc<PartitionLog>, Vec<Batch>, Vec<(i64, i64)>)>;

/// What one group commit stages before COMMIT.
#[derive(Default)]
struct Staging {
    next: HashMap<(Uuid, i32), i64>,
    staged: Staged,
    ws: WriteSet,
    seqs: HashMap<(i64, Uuid, i32), PartitionSeqs>,
    txns: HashMap<String, Txn>,
}

impl Writer {
    /// Assign offsets to every append, commit them and the group writes in one transaction,
    /// publish, reply.
    pub(super) fn group_commit<S: Store>(
        &mut self,
        store: &mut S,
        requests: Vec<(Vec<Append>, Reply)>,
        group_writes: Vec<(GroupWrite, GroupReply)>,
    ) {
        if requests.is_empty() && group_writes.is_empty() {
            return;
        }
        let mut st = Staging::default();
        let mut results: Vec<(Vec<AppendResult>, Reply)> = Vec::with_capacity(requests.len());
        {
            let registry = self.registry.clone();
            let table = registry.producers().lock();
            for (appends, reply) in requests {
                let mut out = Vec::with_capacity(appends.len());
                for a in appends {
                    out.push(self.stage(a, &table, &mut st));
                }
                results.push((out, reply));
            }
        }
        let Staging {
            next,
            staged,
            mut ws,
            seqs,
            txns,
        } = st;
        ws.put_transactions
            .extend(txns.values().map(|t: &Txn| t.to_row()));

        let mut group_replies = Vec::with_capacity(group_writes.len());
        let mut changes = GroupChanges::default();
        for (w, reply) in group_writes {
            // An offset of a topic deleted meanwhile would fail the whole transaction.
            let known = w
                .commit_offsets
                .iter()
                .all(|o| self.registry.get_by_id(&o.topic_id).is_some());
            if !known {
                let _ = reply.send(Err(ResponseError::UnknownTopicOrPartition.into()));
                continue;
            }
            changes.add(w);
            group_replies.push(reply);
        }
        changes.into_write_set(&mut ws);

        for ((topic_id, partition), (log, batches, _)) in &staged {
            let stored = log.stored();
            ws.heads.push(PartitionRow {
                topic_id: *topic_id,
                partition: *partition,
                next_offset: next[&(*topic_id, *partition)],
                log_start_offset: log.log_start_offset(),
                stored_bytes: stored.bytes
                    + batches.iter().map(|b| b.bytes.len() as i64).sum::<i64>(),
                stored_batches: stored.batches + batches.len() as i64,
                ..PartitionRow::default()
            });
        }

        if !ws.is_empty() {
            crate::failpoint::hit("before_commit");
            if let Err(e) = store.commit(&ws) {
                eprintln!("pg_kafka: group commit failed: {e}");
                for (out, reply) in results {
                    if let Some(reply) = reply {
                        let failed = out
                            .into_iter()
                            .map(|r| r.and(Err(KafkaError::storage())))
                            .collect();
                        let _ = reply.send(failed);
                    }
                }
                // Kafka's coordinators answer a failed write of their state with the retriable
                // COORDINATOR_NOT_AVAILABLE; KAFKA_STORAGE_ERROR is fatal to some clients there.
                for reply in group_replies {
                    let _ = reply.send(Err(KafkaError::coordinator_unavailable()));
                }
                return;
            }
            crate::failpoint::hit("after_commit");
        }

        {
            let mut table = self.registry.producers().lock();
            let now = now_ms();
            for (pid, _, _) in seqs.keys() {
                if let Some(p) = table.producers.get_mut(pid) {
                    p.last_used_ms = now;
                }
            }
            table.seqs.extend(seqs);
            for (id, t) in txns {
                table.txns.insert(id, t);
            }
        }
        for (_, (log, batches, begins)) in staged {
            log.publish_txn(batches, &begins, &[]);
        }
        crate::failpoint::hit("after_publish");
        for (out, reply) in results {
            if let Some(reply) = reply {
                let _ = reply.send(out);
            }
        }
        for reply in group_replies {
            let _ = reply.send(Ok(()));
        }
    }

    fn stage(&self, a: Append, table: &Table, st: &mut Staging) -> AppendResult {
        const UNKNOWN: KafkaError = KafkaError::new(ResponseError::UnknownTopicOrPartition);
        // The topic may have been deleted (or re-created) since the request was decoded.
        let current = self.registry.get(&a.topic.name).ok_or(UNKNOWN)?;
        if current.id != a.topic.id {
            return Err(UNKNOWN);
        }
        let log = current.partition(a.partition).ok_or(UNKNOWN)?.clone();
        let key = (current.id, a.partition);
        let mut offset = *st.next.get(&key).unwrap_or(&log.high_watermark());
        let log_append =
            configs::effective(&current.configs, "message.timestamp.type") == Some("LogAppendTime");
        let now = if log_append { now_ms() } else { -1 };

        // Check every batch first: a refused batch refuses the partition, appending nothing.
        let mut plan = Vec::with_capacity(a.batches.len());
        let mut seqs: HashMap<i64, PartitionSeqs> = HashMap::new();
        for p in &a.batches {
            if p.producer_id < 0 {
                plan.push(None);
                continue;
            }
            if attributes::is_transactional(p.attributes) {
                check_in_txn(table, st, p.producer_id, p.producer_epoch, key)?;
            }
            let window = seqs.entry(p.producer_id).or_insert_with(|| {
                let k = (p.producer_id, key.0, key.1);
                st.seqs
                    .get(&k)
                    .or_else(|| table.seqs.get(&k))
                    .cloned()
                    .unwrap_or_default()
            });
            match check_sequence(
                table.producers.get(&p.producer_id),
                Some(&*window),
                p.producer_epoch,
                p.base_sequence,
                p.record_count,
            ) {
                SeqOutcome::Refuse(code) => return Err(code.into()),
                SeqOutcome::Duplicate { base_offset } => plan.push(Some(Err(base_offset))),
                SeqOutcome::Append {
                    first_seq,
                    last_seq,
                } => {
                    if window.epoch != p.producer_epoch {
                        *window = PartitionSeqs {
                            epoch: p.producer_epoch,
                            ..PartitionSeqs::default()
                        };
                    }
                    // Offsets are filled in below; the window entry reserves the sequence now
                    // so a second batch in the same request is checked against it.
                    window.push(SeqBatch {
                        first_seq,
                        last_seq,
                        base_offset: -1,
                        last_offset: -1,
                    });
                    plan.push(Some(Ok(())));
                }
            }
        }

        let mut batches = Vec::with_capacity(a.batches.len());
        let mut begins = Vec::new();
        let mut first = None;
        for (p, step) in a.batches.iter().zip(plan) {
            if let Some(Err(original)) = step {
                first.get_or_insert(original);
                continue;
            }
            let mut batch = stamp(p, offset);
            if log_append {
                batch = with_log_append_time(batch, now);
            }
            first.get_or_insert(offset);
            offset = batch.last_offset + 1;
            if p.producer_id >= 0 {
                if let Some(w) = seqs.get_mut(&p.producer_id) {
                    if let Some(slot) = w
                        .recent
                        .iter_mut()
                        .find(|b| b.base_offset < 0 && b.first_seq == p.base_sequence)
                    {
                        slot.base_offset = batch.base_offset;
                        slot.last_offset = batch.last_offset;
                    }
                }
                if attributes::is_transactional(p.attributes) {
                    open_partition(
                        table,
                        st,
                        p.producer_id,
                        key,
                        batch.base_offset,
                        &mut begins,
                    );
                }
            }
            st.ws.appends.push((key.0, key.1, batch.clone()));
            batches.push(batch);
        }
        let entry = st
            .staged
            .entry(key)
            .or_insert_with(|| (log.clone(), Vec::new(), Vec::new()));
        entry.1.extend(batches);
        entry.2.extend(begins);
        st.next.insert(key, offset);
        for (pid, w) in seqs {
            st.seqs.insert((pid, key.0, key.1), w);
        }
        Ok(Appended {
            log_append_time_ms: now,
            base_offset: first.unwrap_or(offset),
            log_start_offset: log.log_start_offset(),
        })
    }
}

/// The transaction of `producer_id`, as staged in this commit or as in the table.
fn txn_of<'a>(table: &'a Table, st: &'a Staging, producer_id: i64) -> Option<&'a Txn> {
    let id = table
        .producers
        .get(&producer_id)?
        .transactional_id
        .as_ref()?;
    st.txns.get(id).or_else(|| table.txns.get(id))
}

/// A transactional batch needs an ongoing transaction of its producer holding the partition.
fn check_in_txn(
    table: &Table,
    st: &Staging,
    producer_id: i64,
    epoch: i16,
    key: (Uuid, i32),
) -> KafkaResult<()> {
    let Some(txn) = txn_of(table, st, producer_id) else {
        return Err(ResponseError::InvalidProducerIdMapping.into());
    };
    if txn.producer_id != producer_id || epoch < txn.epoch {
        return Err(ResponseError::InvalidProducerEpoch.into());
    }
    if txn.state != TxnState::Ongoing || !txn.partitions.contains_key(&key) {
        return Err(ResponseError::InvalidTxnState.into());
    }
    Ok(())
}

/// Record the first offset of the transaction on this partition (once).
fn open_partition(
    table: &Table,
    st: &mut Staging,
    producer_id: i64,
    key: (Uuid, i32),
    offset: i64,
    begins: &mut Vec<(i64, i64)>,
) {
    let Some(id) = table
        .producers
        .get(&producer_id)
        .and_then(|p| p.transactional_id.clone())
    else {
        return;
    };
    if !st.txns.contains_key(&id) {
        let Some(t) = table.txns.get(&id) else { return };
        st.txns.insert(id.clone(), t.clone());
    }
    if let Some(first) = st
        .txns
        .get_mut(&id)
        .and_then(|t| t.partitions.get_mut(&key))
    {
        if *first < 0 {
            *first = offset;
            begins.push((producer_id, offset));
        }
    }
}
