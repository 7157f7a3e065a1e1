//! The cleaner's changes to one partition (retention and compaction), applied by the writer like
//! every other mutation: one transaction, then memory, then the reply.
//!
//! A step names batches by base offset with the columns the cleaner read (`BatchMeta`), so the
//! writer can keep the partition's stored counts without reading anything back. Only the cleaner
//! removes or rewrites batches, one step at a time, so what a step names is still stored when it
//! is applied; a topic deleted (or re-created) meanwhile makes the step fail.
//!
//! Invariants: the log start only moves forward and never past the high watermark; offsets never
//! change (a rebuilt batch keeps its base offset and last offset); nothing reaches memory unless
//! the transaction committed.

use std::sync::Arc;

use kafka_protocol::ResponseError;
use uuid::Uuid;

use super::Writer;
use crate::error::{KafkaError, KafkaResult};
use crate::log::{Batch, PartitionLog};
use crate::store::{BatchMeta, PartitionRow, Store, WriteSet};

/// One bounded piece of cleaning on one partition.
#[derive(Debug, Clone, Default)]
pub struct CleanStep {
    pub topic_id: Uuid,
    pub partition: i32,
    /// Move the log start to here (retention), when it is ahead of the current one.
    pub log_start: Option<i64>,
    /// Batches to remove.
    pub remove: Vec<BatchMeta>,
    /// Batches to replace, each by a rebuilt one at the same base offset.
    pub replace: Vec<(BatchMeta, Batch)>,
    /// (base offset, ms): delete horizons to record.
    pub horizons: Vec<(i64, i64)>,
    /// Compaction has now covered every batch below this offset.
    pub cleaned_offset: Option<i64>,
}

/// What a step did.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StepDone {
    pub batches_removed: u64,
    pub bytes_removed: u64,
    pub batches_rewritten: u64,
    /// Stored bytes of the rewritten batches before and after.
    pub rewritten_from: u64,
    pub rewritten_to: u64,
    /// The log start after the step.
    pub log_start: i64,
}

impl Writer {
    pub(super) fn clean<S: Store>(
        &mut self,
        store: &mut S,
        step: CleanStep,
    ) -> KafkaResult<StepDone> {
        let unknown = || KafkaError::from(ResponseError::UnknownTopicOrPartition);
        let topic = self
            .registry
            .get_by_id(&step.topic_id)
            .ok_or_else(unknown)?;
        let log: Arc<PartitionLog> = topic
            .partition(step.partition)
            .cloned()
            .ok_or_else(unknown)?;
        let hw = log.high_watermark();
        let start = log.log_start_offset();
        let new_start = step.log_start.map_or(start, |s| s.clamp(start, hw));
        let mut done = StepDone {
            log_start: new_start,
            ..StepDone::default()
        };
        let mut stored = log.stored();
        for m in &step.remove {
            stored.bytes -= m.size as i64;
            stored.batches -= 1;
            done.batches_removed += 1;
            done.bytes_removed += m.size as u64;
        }
        for (m, b) in &step.replace {
            stored.bytes += b.bytes.len() as i64 - m.size as i64;
            done.batches_rewritten += 1;
            done.rewritten_from += m.size as u64;
            done.rewritten_to += b.bytes.len() as u64;
        }
        let now = crate::clock::now_ms();
        if let Some(offset) = step.cleaned_offset {
            stored.cleaned_offset = offset.max(stored.cleaned_offset);
            stored.cleaned_at_ms = Some(now);
        }
        let (id, p) = (step.topic_id, step.partition);
        let mut ws = WriteSet {
            delete_batches: step.remove.iter().map(|m| (id, p, m.base_offset)).collect(),
            replace_batches: step
                .replace
                .iter()
                .map(|(_, b)| (id, p, b.clone()))
                .collect(),
            delete_horizons: step
                .horizons
                .iter()
                .map(|&(o, at)| (id, p, o, at))
                .collect(),
            heads: vec![PartitionRow {
                topic_id: id,
                partition: p,
                next_offset: hw,
                log_start_offset: new_start,
                stored_bytes: stored.bytes,
                stored_batches: stored.batches,
                ..PartitionRow::default()
            }],
            ..WriteSet::default()
        };
        if step.cleaned_offset.is_some() {
            ws.cleaned.push((id, p, stored.cleaned_offset, now));
        }
        if new_start > start {
            ws.trim_aborted.push((id, p, new_start));
        }
        store.commit(&ws).map_err(|e| {
            eprintln!("pg_kafka: cleaner step on {}-{p} failed: {e}", topic.name);
            KafkaError::storage()
        })?;
        if new_start > start {
            log.advance_log_start(new_start);
        }
        let removed: Vec<i64> = step.remove.iter().map(|m| m.base_offset).collect();
        let replaced: Vec<Batch> = step.replace.into_iter().map(|(_, b)| b).collect();
        log.apply_clean(&removed, &replaced);
        log.set_stored(stored);
        Ok(done)
    }
}
