//! Producer ids and the transaction coordinator's writes: InitProducerId, AddPartitionsToTxn,
//! AddOffsetsToTxn, TxnOffsetCommit, EndTxn, the timeout abort and the recovery of transactions
//! a crash left open.
//!
//! Each command commits on its own, after the produces queued before it, so markers always
//! follow the transaction's data. An end of a transaction is ONE store transaction: the markers
//! on every partition, the transaction row, aborted-transaction rows and (on commit) the
//! transaction's group offsets. Memory (logs, producer table) changes only after COMMIT.

use std::sync::Arc;

use kafka_protocol::ResponseError;
use tokio::sync::oneshot;

use super::{stamp, ErrorCode, PendingBatch, Writer};
use crate::log::{AbortedTxn, Batch, PartitionLog, Topic, TxnEnd};
use crate::store::{AbortedTxnRow, OffsetRow, PartitionRow, ProducerRow, Store, WriteSet};
use crate::txn::{control_batch, now_ms, ProducerEntry, Table, Txn, TxnState};

/// Kafka's default `transaction.max.timeout.ms`.
pub const MAX_TRANSACTION_TIMEOUT_MS: i32 = 900_000;

/// The id and epoch a producer presents.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProducerIdEpoch {
    pub producer_id: i64,
    pub producer_epoch: i16,
}

/// A transaction that just began: arm its timeout with these.
#[derive(Debug, Clone, PartialEq)]
pub struct Begun {
    pub transactional_id: String,
    pub serial: u64,
    pub timeout_ms: i32,
}

/// Producer and transaction commands for the writer.
#[derive(Debug)]
pub enum TxnCommand {
    /// InitProducerId: a new id (epoch 0) or, for a known id/epoch or transactional id, the
    /// bumped epoch; an open transaction of the transactional id is aborted first.
    InitProducer {
        transactional_id: Option<String>,
        timeout_ms: i32,
        /// -1/-1 unless the client re-initialises (KIP-360).
        current: ProducerIdEpoch,
        reply: oneshot::Sender<Result<ProducerIdEpoch, ErrorCode>>,
    },
    /// AddPartitionsToTxn (empty `partitions`: AddOffsetsToTxn). One code per partition.
    AddPartitions {
        transactional_id: String,
        producer: ProducerIdEpoch,
        partitions: Vec<(Arc<Topic>, i32)>,
        reply: oneshot::Sender<(Result<(), ErrorCode>, Option<Begun>)>,
    },
    /// TxnOffsetCommit after the group checks: offsets wait in the transaction for EndTxn.
    TxnOffsets {
        transactional_id: String,
        producer: ProducerIdEpoch,
        offsets: Vec<OffsetRow>,
        reply: oneshot::Sender<Result<(), ErrorCode>>,
    },
    /// EndTxn; on commit the reply holds the group offsets made visible.
    EndTxn {
        transactional_id: String,
        producer: ProducerIdEpoch,
        commit: bool,
        reply: oneshot::Sender<Result<Vec<OffsetRow>, ErrorCode>>,
    },
    /// The timeout of the transaction `serial` fired: abort it if it is still open.
    Expire {
        transactional_id: String,
        serial: u64,
    },
}

fn code(e: ResponseError) -> ErrorCode {
    e.code()
}

impl Writer {
    pub(super) fn txn_command<S: Store>(&mut self, store: &mut S, cmd: TxnCommand) {
        match cmd {
            TxnCommand::InitProducer {
                transactional_id,
                timeout_ms,
                current,
                reply,
            } => {
                let r = self.init_producer(store, transactional_id, timeout_ms, current);
                let _ = reply.send(r);
            }
            TxnCommand::AddPartitions {
                transactional_id,
                producer,
                partitions,
                reply,
            } => {
                let r = self.add_partitions(store, &transactional_id, producer, partitions);
                let _ = reply.send(r);
            }
            TxnCommand::TxnOffsets {
                transactional_id,
                producer,
                offsets,
                reply,
            } => {
                let mut table = self.registry.producers().lock();
                let r = table
                    .txns
                    .get_mut(&transactional_id)
                    .ok_or(code(ResponseError::InvalidProducerIdMapping))
                    .and_then(|t| {
                        check_producer(t, producer)?;
                        if t.state != TxnState::Ongoing {
                            return Err(code(ResponseError::InvalidTxnState));
                        }
                        t.pending_offsets.extend(offsets);
                        Ok(())
                    });
                let _ = reply.send(r);
            }
            TxnCommand::EndTxn {
                transactional_id,
                producer,
                commit,
                reply,
            } => {
                let r = self.end_txn(store, &transactional_id, producer, commit);
                let _ = reply.send(r);
            }
            TxnCommand::Expire {
                transactional_id,
                serial,
            } => {
                let txn = self
                    .registry
                    .producers()
                    .lock()
                    .txns
                    .get(&transactional_id)
                    .cloned();
                if let Some(t) = txn.filter(|t| t.serial == serial && t.open()) {
                    // A timed-out producer is fenced: its epoch is bumped with the abort.
                    if let Err(e) = self.complete(store, t, false, true) {
                        eprintln!("pg_kafka: aborting timed-out {transactional_id}: {e}");
                    }
                }
            }
        }
    }

    /// Complete every transaction a crash left open: commit those whose commit was decided
    /// (PrepareCommit), abort the others. Runs once, before the writer's first command.
    pub fn recover_transactions<S: Store>(&mut self, store: &mut S) {
        self.transactions_recovered = true;
        let open: Vec<Txn> = {
            let table = self.registry.producers().lock();
            table.txns.values().filter(|t| t.open()).cloned().collect()
        };
        for t in open {
            let commit = t.state == TxnState::PrepareCommit;
            if let Err(e) = self.complete(store, t, commit, false) {
                eprintln!("pg_kafka: recovering a transaction: {e}");
            }
        }
    }

    fn init_producer<S: Store>(
        &mut self,
        store: &mut S,
        transactional_id: Option<String>,
        timeout_ms: i32,
        current: ProducerIdEpoch,
    ) -> Result<ProducerIdEpoch, ErrorCode> {
        let Some(tid) = transactional_id else {
            let next = {
                let table = self.registry.producers().lock();
                next_epoch(&table, current)?
            };
            let mut ws = WriteSet::default();
            ws.put_producers.push(ProducerRow {
                producer_id: next.producer_id,
                producer_epoch: next.producer_epoch,
                transactional_id: None,
            });
            commit(store, &ws)?;
            self.registry
                .producers()
                .lock()
                .install_producer(next, None);
            return Ok(next);
        };
        if !(1..=MAX_TRANSACTION_TIMEOUT_MS).contains(&timeout_ms) {
            return Err(code(ResponseError::InvalidTransactionTimeout));
        }
        let existing = self.registry.producers().lock().txns.get(&tid).cloned();
        let mut txn = match existing {
            Some(t) => {
                if current.producer_id >= 0
                    && (current.producer_id != t.producer_id || current.producer_epoch != t.epoch)
                {
                    return Err(code(ResponseError::ProducerFenced));
                }
                if t.open() {
                    // The previous incarnation's transaction is aborted and its epoch fenced.
                    self.complete(store, t.clone(), t.state == TxnState::PrepareCommit, false)
                        .map_err(|_| code(ResponseError::KafkaStorageError))?;
                }
                let table = self.registry.producers().lock();
                let t = table.txns.get(&tid).cloned().unwrap_or(t);
                let next = next_epoch(
                    &table,
                    ProducerIdEpoch {
                        producer_id: t.producer_id,
                        producer_epoch: t.epoch,
                    },
                )?;
                Txn {
                    producer_id: next.producer_id,
                    epoch: next.producer_epoch,
                    ..t
                }
            }
            None => {
                let table = self.registry.producers().lock();
                let next = next_epoch(
                    &table,
                    ProducerIdEpoch {
                        producer_id: -1,
                        producer_epoch: -1,
                    },
                )?;
                Txn {
                    transactional_id: tid.clone(),
                    producer_id: next.producer_id,
                    epoch: next.producer_epoch,
                    state: TxnState::Empty,
                    timeout_ms,
                    start_ms: -1,
                    partitions: Default::default(),
                    pending_offsets: Vec::new(),
                    serial: 0,
                }
            }
        };
        txn.timeout_ms = timeout_ms;
        let mut ws = WriteSet::default();
        ws.put_producers.push(ProducerRow {
            producer_id: txn.producer_id,
            producer_epoch: txn.epoch,
            transactional_id: Some(tid.clone()),
        });
        ws.put_transactions.push(txn.to_row());
        commit(store, &ws)?;
        let out = ProducerIdEpoch {
            producer_id: txn.producer_id,
            producer_epoch: txn.epoch,
        };
        let mut table = self.registry.producers().lock();
        table.install_producer(out, Some(tid.clone()));
        table.txns.insert(tid, txn);
        Ok(out)
    }

    fn add_partitions<S: Store>(
        &mut self,
        store: &mut S,
        tid: &str,
        producer: ProducerIdEpoch,
        partitions: Vec<(Arc<Topic>, i32)>,
    ) -> (Result<(), ErrorCode>, Option<Begun>) {
        let mut txn = {
            let table = self.registry.producers().lock();
            match table.txns.get(tid) {
                Some(t) => t.clone(),
                None => return (Err(code(ResponseError::InvalidProducerIdMapping)), None),
            }
        };
        if let Err(e) = check_producer(&txn, producer) {
            return (Err(e), None);
        }
        let mut begun = None;
        match txn.state {
            TxnState::Ongoing => {}
            TxnState::PrepareCommit | TxnState::PrepareAbort => {
                return (Err(code(ResponseError::ConcurrentTransactions)), None)
            }
            _ => {
                let serial = self.registry.producers().lock().next_serial + 1;
                txn.state = TxnState::Ongoing;
                txn.start_ms = now_ms();
                txn.partitions.clear();
                txn.pending_offsets.clear();
                txn.serial = serial;
                begun = Some(Begun {
                    transactional_id: tid.to_owned(),
                    serial,
                    timeout_ms: txn.timeout_ms,
                });
            }
        }
        let before = txn.clone();
        for (topic, p) in &partitions {
            txn.partitions.entry((topic.id, *p)).or_insert(-1);
        }
        if txn == before && begun.is_none() {
            return (Ok(()), None);
        }
        let mut ws = WriteSet::default();
        ws.put_transactions.push(txn.to_row());
        if let Err(e) = commit(store, &ws) {
            return (Err(e), None);
        }
        let mut table = self.registry.producers().lock();
        if begun.is_some() {
            table.next_serial += 1;
        }
        table.txns.insert(tid.to_owned(), txn);
        (Ok(()), begun)
    }

    fn end_txn<S: Store>(
        &mut self,
        store: &mut S,
        tid: &str,
        producer: ProducerIdEpoch,
        commit: bool,
    ) -> Result<Vec<OffsetRow>, ErrorCode> {
        let txn = self
            .registry
            .producers()
            .lock()
            .txns
            .get(tid)
            .cloned()
            .ok_or(code(ResponseError::InvalidProducerIdMapping))?;
        check_producer(&txn, producer)?;
        match (txn.state, commit) {
            (TxnState::Ongoing, _) => self.complete(store, txn, commit, false),
            // A retried EndTxn of a transaction that already ended the same way.
            (TxnState::CompleteCommit, true) | (TxnState::CompleteAbort, false) => Ok(Vec::new()),
            _ => Err(code(ResponseError::InvalidTxnState)),
        }
    }

    /// Write the markers of `txn` on all its partitions with its new state (and, on commit, its
    /// group offsets) in one store transaction, then publish. `fence` bumps the epoch too.
    fn complete<S: Store>(
        &mut self,
        store: &mut S,
        mut txn: Txn,
        commit: bool,
        fence: bool,
    ) -> Result<Vec<OffsetRow>, ErrorCode> {
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
                attributes: crate::txn::CONTROL_ATTRIBUTES,
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
            ws.heads.push(PartitionRow {
                topic_id,
                partition,
                next_offset: batch.last_offset + 1,
                log_start_offset: log.log_start_offset(),
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

        let share = self.registry.partition_cache_share();
        for (log, batch, end) in published {
            log.publish_txn(vec![batch], share, &[], &[end]);
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
        table.txns.insert(txn.transactional_id.clone(), txn);
        Ok(offsets)
    }
}

fn commit<S: Store>(store: &mut S, ws: &WriteSet) -> Result<(), ErrorCode> {
    commit_ws(store, ws)
}

fn commit_ws<S: Store>(store: &mut S, ws: &WriteSet) -> Result<(), ErrorCode> {
    store.commit(ws).map_err(|e| {
        eprintln!("pg_kafka: producer state commit failed: {e}");
        code(ResponseError::KafkaStorageError)
    })
}

/// The transaction's producer must present its current id and epoch.
fn check_producer(t: &Txn, p: ProducerIdEpoch) -> Result<(), ErrorCode> {
    if p.producer_id != t.producer_id {
        return Err(code(ResponseError::InvalidProducerIdMapping));
    }
    if p.producer_epoch < t.epoch {
        return Err(code(ResponseError::ProducerFenced));
    }
    if p.producer_epoch > t.epoch {
        return Err(code(ResponseError::InvalidProducerEpoch));
    }
    Ok(())
}

/// The id/epoch after `current`: a new id for -1, else the next epoch (a new id once the epoch
/// is exhausted).
fn next_epoch(table: &Table, current: ProducerIdEpoch) -> Result<ProducerIdEpoch, ErrorCode> {
    if current.producer_id < 0 {
        return Ok(ProducerIdEpoch {
            producer_id: table.next_producer_id,
            producer_epoch: 0,
        });
    }
    let Some(p) = table.producers.get(&current.producer_id) else {
        return Err(code(ResponseError::UnknownProducerId));
    };
    if current.producer_epoch != p.epoch {
        return Err(code(ResponseError::InvalidProducerEpoch));
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
            },
        );
        self.seqs
            .retain(|(id, _, _), s| *id != p.producer_id || s.epoch == p.producer_epoch);
    }
}
