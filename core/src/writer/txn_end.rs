//! The end of a transaction (commit, abort, timeout, recovery) and the producer-id helpers the
//! transaction commands share.
//!
//! Invariant: the markers on every partition of the transaction, its new state, aborted-index
//! rows and (on commit) its group offsets are ONE store commit; logs and the producer table
//! change only after it.

use std::sync::Arc;

use kafka_protocol::ResponseError;

use super::txn::ProducerIdEpoch;
use super::{stamp, PendingBatch, Writer};
use crate::clock::now_ms;
use crate::error::{KafkaError, KafkaResult};
use crate::log::{AbortedTxn, Batch, PartitionLog, TxnEnd};
use crate::protocol::batch::{attributes, control_batch};
use crate::store::{AbortedTxnRow, OffsetRow, PartitionRow, ProducerRow, Store, WriteSet};
use crate::txn::{ProducerEntry, Table, Txn, TxnState};

impl Writer {
    /// Write the markers of `txn` on all its partitions with its new state (and, on commit, its
    /// group offsets) in one store transaction, then publish. `fence` bumps the epoch too.
    pub(super) fn complete<S: Store>(
        &mut self,
        store: &mut S,
        mut txn: Txn,
        commit: bool,
        fence: bool,
    ) -> KafkaResult<Vec<OffsetRow>> {
        let mut ws = WriteSet::default();
        let mut published: Vec<(Arc<PartitionLog>, Batch, TxnEnd)> = Vec::new();
        let ts = now_ms();
        let marker = control_batch(txn.producer_id, txn.epoch, commit, ts);
        for (&(topic_id, partition), &first) in &txn.partitions {
            // A partition deleted meanwhile has nothing left to mark.
            let Some(log) = self
                .registry
                .get_by_id(&topic_id)
                .and_then(|t| t.partition(partition).cloned())
            else {
                continue;
            };
            let pending = PendingBatch {
                bytes: marker.clone(),
                record_count: 1,
                last_offset_delta: 0,
                base_timestamp: ts,
                max_timestamp: ts,
                attributes: attributes::MARKER,
                producer_id: txn.producer_id,
                producer_epoch: txn.epoch,
                base_sequence: -1,
            };
            let batch = stamp(&pending, log.high_watermark());
            let aborted = (!commit && first >= 0).then_some(AbortedTxn {
                producer_id: txn.producer_id,
                first_offset: first,
                last_offset: batch.base_offset,
            });
            if let Some(a) = aborted {
                ws.aborted_txns.push(AbortedTxnRow {
                    topic_id,
                    partition,
                    producer_id: a.producer_id,
                    first_offset: a.first_offset,
                    last_offset: a.last_offset,
                });
            }
            ws.appends.push((topic_id, partition, batch.clone()));
            let stored = log.stored();
            ws.heads.push(PartitionRow {
                topic_id,
                partition,
                next_offset: batch.last_offset + 1,
                log_start_offset: log.log_start_offset(),
                stored_bytes: stored.bytes + batch.bytes.len() as i64,
                stored_batches: stored.batches + 1,
                ..PartitionRow::default()
            });
            published.push((
                log,
                batch,
                TxnEnd {
                    producer_id: txn.producer_id,
                    aborted,
                },
            ));
        }
        let offsets: Vec<OffsetRow> = if commit {
            std::mem::take(&mut txn.pending_offsets)
                .into_iter()
                .filter(|o| self.registry.get_by_id(&o.topic_id).is_some())
                .collect()
        } else {
            Vec::new()
        };
        ws.commit_offsets.extend(offsets.iter().cloned());
        txn.state = if commit {
            TxnState::CompleteCommit
        } else {
            TxnState::CompleteAbort
        };
        txn.partitions.clear();
        txn.pending_offsets.clear();
        txn.start_ms = -1;
        if fence {
            let table = self.registry.producers().lock();
            let next = next_epoch(
                &table,
                ProducerIdEpoch {
                    producer_id: txn.producer_id,
                    producer_epoch: txn.epoch,
                },
            )?;
            txn.last_epoch = if next.producer_id == txn.producer_id {
                txn.epoch
            } else {
                -1
            };
            txn.producer_id = next.producer_id;
            txn.epoch = next.producer_epoch;
            ws.put_producers.push(ProducerRow {
                producer_id: next.producer_id,
                producer_epoch: next.producer_epoch,
                transactional_id: Some(txn.transactional_id.clone()),
            });
        }
        ws.put_transactions.push(txn.to_row());
        commit_ws(store, &ws)?;

        for (log, batch, end) in published {
            log.publish_txn(vec![batch], &[], &[end]);
        }
        let mut table = self.registry.producers().lock();
        if fence {
            table.install_producer(
                ProducerIdEpoch {
                    producer_id: txn.producer_id,
                    producer_epoch: txn.epoch,
                },
                Some(txn.transactional_id.clone()),
            );
        }
        txn.updated_ms = now_ms();
        table.txns.insert(txn.transactional_id.clone(), txn);
        Ok(offsets)
    }
}

/// Commit the transaction coordinator's write set. A failure is COORDINATOR_NOT_AVAILABLE, as
/// Kafka answers a failed write of its transaction state: retriable for every client, where
/// KAFKA_STORAGE_ERROR is fatal to transactional producers.
pub(super) fn commit_ws<S: Store>(store: &mut S, ws: &WriteSet) -> KafkaResult<()> {
    store.commit(ws).map_err(|e| {
        eprintln!("pg_kafka: producer state commit failed: {e}");
        KafkaError::coordinator_unavailable()
    })
}

/// The transaction's producer must present its current id and epoch.
pub(super) fn check_producer(t: &Txn, p: ProducerIdEpoch) -> KafkaResult<()> {
    if p.producer_id != t.producer_id {
        return Err(KafkaError::from(ResponseError::InvalidProducerIdMapping));
    }
    if p.producer_epoch < t.epoch {
        return Err(KafkaError::from(ResponseError::ProducerFenced));
    }
    if p.producer_epoch > t.epoch {
        return Err(KafkaError::from(ResponseError::InvalidProducerEpoch));
    }
    Ok(())
}

/// The id/epoch after `current`: a new id for -1, else the next epoch (a new id once the epoch
/// is exhausted).
pub(super) fn next_epoch(table: &Table, current: ProducerIdEpoch) -> KafkaResult<ProducerIdEpoch> {
    if current.producer_id < 0 {
        return Ok(ProducerIdEpoch {
            producer_id: table.next_producer_id,
            producer_epoch: 0,
        });
    }
    let Some(p) = table.producers.get(&current.producer_id) else {
        return Err(KafkaError::from(ResponseError::UnknownProducerId));
    };
    if current.producer_epoch != p.epoch {
        return Err(KafkaError::from(ResponseError::InvalidProducerEpoch));
    }
    if p.epoch >= i16::MAX - 1 {
        return Ok(ProducerIdEpoch {
            producer_id: table.next_producer_id,
            producer_epoch: 0,
        });
    }
    Ok(ProducerIdEpoch {
        producer_id: current.producer_id,
        producer_epoch: p.epoch + 1,
    })
}

impl Table {
    /// Record a committed id/epoch; a new epoch forgets the old epoch's sequence windows.
    pub fn install_producer(&mut self, p: ProducerIdEpoch, transactional_id: Option<String>) {
        self.next_producer_id = self.next_producer_id.max(p.producer_id + 1);
        self.producers.insert(
            p.producer_id,
            ProducerEntry {
                epoch: p.producer_epoch,
                transactional_id,
                last_used_ms: now_ms(),
            },
        );
        self.seqs
            .retain(|(id, _, _), s| *id != p.producer_id || s.epoch == p.producer_epoch);
    }
}
