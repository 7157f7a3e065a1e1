//! The group commit of produce requests.

use std::collections::HashMap;
use std::sync::Arc;

use indexmap::IndexMap;
use kafka_protocol::ResponseError;
use tokio::sync::oneshot;
use uuid::Uuid;

use super::{stamp, Append, AppendResult, Appended, ErrorCode, GroupWrite, Writer};
use crate::log::{Batch, PartitionLog};
use crate::store::{PartitionRow, Store, WriteSet};

type Reply = Option<oneshot::Sender<Vec<AppendResult>>>;
type GroupReply = oneshot::Sender<Result<(), ErrorCode>>;
/// Batches staged per partition, in commit order, with the log they publish to.
type Staged = IndexMap<(Uuid, i32), (Arc<PartitionLog>, Vec<Batch>)>;

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
        let mut next: HashMap<(Uuid, i32), i64> = HashMap::new();
        let mut staged: Staged = IndexMap::new();
        let mut ws = WriteSet::default();
        let mut results: Vec<(Vec<AppendResult>, Reply)> = Vec::with_capacity(requests.len());

        for (appends, reply) in requests {
            let mut out = Vec::with_capacity(appends.len());
            for a in appends {
                out.push(self.stage(a, &mut next, &mut staged, &mut ws));
            }
            results.push((out, reply));
        }

        let mut group_replies = Vec::with_capacity(group_writes.len());
        for (w, reply) in group_writes {
            // An offset of a topic deleted meanwhile would fail the whole transaction.
            let known = w
                .commit_offsets
                .iter()
                .all(|o| self.registry.get_by_id(&o.topic_id).is_some());
            if !known {
                let _ = reply.send(Err(ResponseError::UnknownTopicOrPartition.code()));
                continue;
            }
            ws.put_groups.extend(w.put_groups);
            ws.delete_groups.extend(w.delete_groups);
            ws.commit_offsets.extend(w.commit_offsets);
            ws.delete_offsets.extend(w.delete_offsets);
            group_replies.push(reply);
        }

        for ((topic_id, partition), (log, _)) in &staged {
            ws.heads.push(PartitionRow {
                topic_id: *topic_id,
                partition: *partition,
                next_offset: next[&(*topic_id, *partition)],
                log_start_offset: log.log_start_offset(),
            });
        }

        if !ws.is_empty() {
            crate::failpoint::hit("before_commit");
            if let Err(e) = store.commit(&ws) {
                eprintln!("pg_kafka: group commit failed: {e}");
                let code = ResponseError::KafkaStorageError.code();
                for (out, reply) in results {
                    if let Some(reply) = reply {
                        let failed = out.into_iter().map(|r| r.and(Err(code))).collect();
                        let _ = reply.send(failed);
                    }
                }
                for reply in group_replies {
                    let _ = reply.send(Err(code));
                }
                return;
            }
            crate::failpoint::hit("after_commit");
        }

        let share = self.registry.partition_cache_share();
        for (_, (log, batches)) in staged {
            log.publish(batches, share);
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

    fn stage(
        &self,
        a: Append,
        next: &mut HashMap<(Uuid, i32), i64>,
        staged: &mut Staged,
        ws: &mut WriteSet,
    ) -> AppendResult {
        let unknown = ResponseError::UnknownTopicOrPartition.code();
        // The topic may have been deleted (or re-created) since the request was decoded.
        let current = self.registry.get(&a.topic.name).ok_or(unknown)?;
        if current.id != a.topic.id {
            return Err(unknown);
        }
        let log = current.partition(a.partition).ok_or(unknown)?.clone();
        let key = (current.id, a.partition);
        let offset = next.entry(key).or_insert_with(|| log.high_watermark());
        let first = *offset;
        let entry = staged
            .entry(key)
            .or_insert_with(|| (log.clone(), Vec::new()));
        for p in &a.batches {
            let batch = stamp(p, *offset);
            *offset = batch.last_offset + 1;
            ws.appends.push((key.0, key.1, batch.clone()));
            entry.1.push(batch);
        }
        Ok(Appended {
            base_offset: first,
            log_start_offset: log.log_start_offset(),
        })
    }
}
