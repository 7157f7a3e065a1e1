//! Topic configs and log starts through the writer: AlterConfigs / IncrementalAlterConfigs and
//! DeleteRecords. Each command is its own transaction; memory changes only after it commits.
//!
//! Config changes are applied here, to the topic's configs as the writer sees them, so two
//! concurrent incremental changes never lose each other. A new config map is published as a new
//! `Topic` sharing the same partition logs.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use kafka_protocol::ResponseError;
use uuid::Uuid;

use super::admin::commit_or_fail;
use super::{AdminResult, Writer};
use crate::error::{KafkaError, KafkaResult};
use crate::log::configs::{self, ConfigOp};
use crate::log::{PartitionLog, Topic};
use crate::store::{PartitionRow, Store, WriteSet};

/// One topic's config change: `replace` starts from no configs (AlterConfigs), otherwise the
/// operations edit the current ones (IncrementalAlterConfigs).
#[derive(Debug, Clone)]
pub struct ConfigChange {
    pub topic: String,
    pub replace: bool,
    pub ops: Vec<(String, ConfigOp)>,
}

/// Move `topic`-`partition`'s log start to `offset` (-1: the high watermark).
#[derive(Debug, Clone)]
pub struct RecordsDeletion {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// The partition's new low watermark (log start offset), or the error.
pub type DeleteRecordsResult = KafkaResult<i64>;

fn unknown(name: &str) -> KafkaError {
    KafkaError::with_message(
        ResponseError::UnknownTopicOrPartition,
        format!("unknown topic {name:?}"),
    )
}

impl Writer {
    pub(super) fn alter_topic_configs<S: Store>(
        &mut self,
        store: &mut S,
        changes: Vec<ConfigChange>,
        validate_only: bool,
    ) -> Vec<AdminResult> {
        // Maps staged by this command, so two changes of one topic compose.
        let mut staged: HashMap<Uuid, BTreeMap<String, String>> = HashMap::new();
        let mut results = Vec::new();
        for c in changes {
            let r = self.registry.get(&c.topic).ok_or_else(|| unknown(&c.topic));
            let r = r.and_then(|t| {
                let current = staged.get(&t.id).unwrap_or(&t.configs);
                let next = configs::apply(current, c.replace, &c.ops)?;
                staged.insert(t.id, next.clone());
                Ok((t, next))
            });
            results.push(r);
        }
        let mut ws = WriteSet::default();
        if !validate_only {
            ws.topic_configs = staged.into_iter().collect();
        }
        let results = match commit_or_fail(store, &ws, results) {
            Ok(r) => r,
            Err(failed) => return failed,
        };
        let mut published: HashMap<Uuid, Arc<Topic>> = HashMap::new();
        if !validate_only {
            for (id, configs) in ws.topic_configs {
                if let Some(t) = self.registry.get_by_id(&id) {
                    let topic = self.registry.publish_topic(Topic {
                        name: t.name.clone(),
                        id,
                        partitions: t.partitions.clone(),
                        configs,
                    });
                    published.insert(id, topic);
                }
            }
        }
        results
            .into_iter()
            .map(|r| {
                r.map(|(t, configs)| match published.get(&t.id) {
                    Some(p) => p.clone(),
                    None => Arc::new(Topic {
                        name: t.name.clone(),
                        id: t.id,
                        partitions: t.partitions.clone(),
                        configs,
                    }),
                })
            })
            .collect()
    }

    pub(super) fn delete_records<S: Store>(
        &mut self,
        store: &mut S,
        deletions: Vec<RecordsDeletion>,
    ) -> Vec<DeleteRecordsResult> {
        let mut ws = WriteSet::default();
        let mut moves: Vec<(Arc<PartitionLog>, i64)> = Vec::new();
        let mut results = Vec::new();
        for d in deletions {
            let found = self.registry.get(&d.topic).and_then(|t| {
                let log = t.partition(d.partition).cloned()?;
                Some((t.id, log))
            });
            let Some((id, log)) = found else {
                results.push(Err(ResponseError::UnknownTopicOrPartition.into()));
                continue;
            };
            let high_watermark = log.high_watermark();
            let target = if d.offset == -1 {
                high_watermark
            } else {
                d.offset
            };
            if target < 0 || target > high_watermark {
                results.push(Err(ResponseError::OffsetOutOfRange.into()));
                continue;
            }
            // An earlier deletion in this command may already have moved it further.
            let start = ws
                .heads
                .iter()
                .find(|h| h.topic_id == id && h.partition == d.partition)
                .map_or_else(|| log.log_start_offset(), |h| h.log_start_offset);
            let new_start = start.max(target);
            if new_start > start {
                ws.heads
                    .retain(|h| !(h.topic_id == id && h.partition == d.partition));
                let stored = log.stored();
                ws.heads.push(PartitionRow {
                    topic_id: id,
                    partition: d.partition,
                    next_offset: high_watermark,
                    log_start_offset: new_start,
                    stored_bytes: stored.bytes,
                    stored_batches: stored.batches,
                    ..PartitionRow::default()
                });
                moves.push((log, new_start));
            }
            results.push(Ok(new_start));
        }
        // Aborted transactions wholly below a new log start can no longer overlap a read.
        ws.trim_aborted = ws
            .heads
            .iter()
            .map(|h| (h.topic_id, h.partition, h.log_start_offset))
            .collect();
        if !ws.is_empty() {
            if let Err(e) = store.commit(&ws) {
                eprintln!("pg_kafka: delete records failed: {e}");
                return results
                    .into_iter()
                    .map(|r| r.and(Err(KafkaError::storage())))
                    .collect();
            }
        }
        for (log, offset) in moves {
            log.advance_log_start(offset);
        }
        results
    }
}
