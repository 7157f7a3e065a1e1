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

use super::txn_end::{check_producer, commit_ws, next_epoch};
use super::Writer;
use crate::clock::now_ms;
use crate::error::{KafkaError, KafkaResult};
use crate::log::Topic;
use crate::store::{OffsetRow, ProducerRow, Store, WriteSet};
use crate::txn::{Txn, TxnState};

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
        reply: oneshot::Sender<KafkaResult<ProducerIdEpoch>>,
    },
    /// AddPartitionsToTxn (empty `partitions`: AddOffsetsToTxn). One code per partition.
    AddPartitions {
        transactional_id: String,
        producer: ProducerIdEpoch,
        partitions: Vec<(Arc<Topic>, i32)>,
        reply: oneshot::Sender<KafkaResult<Option<Begun>>>,
    },
    /// TxnOffsetCommit after the group checks: offsets wait in the transaction for EndTxn.
    TxnOffsets {
        transactional_id: String,
        producer: ProducerIdEpoch,
        offsets: Vec<OffsetRow>,
        reply: oneshot::Sender<KafkaResult<()>>,
    },
    /// EndTxn; on commit the reply holds the group offsets made visible.
    EndTxn {
        transactional_id: String,
        producer: ProducerIdEpoch,
        commit: bool,
        reply: oneshot::Sender<KafkaResult<Vec<OffsetRow>>>,
    },
    /// The timeout of the transaction `serial` fired: abort it if it is still open.
    Expire {
        transactional_id: String,
        serial: u64,
    },
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
                    .ok_or(KafkaError::from(ResponseError::InvalidProducerIdMapping))
                    .and_then(|t| {
                        check_producer(t, producer)?;
                        if t.state != TxnState::Ongoing {
                            return Err(KafkaError::from(ResponseError::InvalidTxnState));
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
    /// A failed store commit leaves the transaction open and recovery is tried again on the
    /// next wake-up.
    pub fn recover_transactions<S: Store>(&mut self, store: &mut S) {
        let open: Vec<Txn> = {
            let table = self.registry.producers().lock();
            table.txns.values().filter(|t| t.open()).cloned().collect()
        };
        let mut done = true;
        for t in open {
            let commit = t.state == TxnState::PrepareCommit;
            if let Err(e) = self.complete(store, t, commit, false) {
                eprintln!("pg_kafka: recovering a transaction: {e}");
                done = false;
            }
        }
        self.transactions_recovered = done;
    }

    fn init_producer<S: Store>(
        &mut self,
        store: &mut S,
        transactional_id: Option<String>,
        timeout_ms: i32,
        current: ProducerIdEpoch,
    ) -> KafkaResult<ProducerIdEpoch> {
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
            commit_ws(store, &ws)?;
            self.registry
                .producers()
                .lock()
                .install_producer(next, None);
            return Ok(next);
        };
        if !(1..=MAX_TRANSACTION_TIMEOUT_MS).contains(&timeout_ms) {
            return Err(KafkaError::from(ResponseError::InvalidTransactionTimeout));
        }
        let existing = self.registry.producers().lock().txns.get(&tid).cloned();
        let mut txn = match existing {
            Some(t) => {
                let current_ok = current.producer_epoch == t.epoch
                    || (current.producer_epoch == t.last_epoch
                        && t.state == TxnState::CompleteAbort);
                if current.producer_id >= 0 && (current.producer_id != t.producer_id || !current_ok)
                {
                    return Err(KafkaError::from(ResponseError::ProducerFenced));
                }
                if t.open() {
                    // The previous incarnation's transaction is aborted and its epoch fenced.
                    self.complete(store, t.clone(), t.state == TxnState::PrepareCommit, false)?;
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
                    last_epoch: -1,
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
                    last_epoch: -1,
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
        commit_ws(store, &ws)?;
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
    ) -> KafkaResult<Option<Begun>> {
        let mut txn = {
            let table = self.registry.producers().lock();
            match table.txns.get(tid) {
                Some(t) => t.clone(),
                None => return Err(ResponseError::InvalidProducerIdMapping.into()),
            }
        };
        check_producer(&txn, producer)?;
        let mut begun = None;
        match txn.state {
            TxnState::Ongoing => {}
            TxnState::PrepareCommit | TxnState::PrepareAbort => {
                return Err(ResponseError::ConcurrentTransactions.into())
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
            return Ok(None);
        }
        let mut ws = WriteSet::default();
        ws.put_transactions.push(txn.to_row());
        commit_ws(store, &ws)?;
        let mut table = self.registry.producers().lock();
        if begun.is_some() {
            table.next_serial += 1;
        }
        table.txns.insert(tid.to_owned(), txn);
        Ok(begun)
    }

    fn end_txn<S: Store>(
        &mut self,
        store: &mut S,
        tid: &str,
        producer: ProducerIdEpoch,
        commit: bool,
    ) -> KafkaResult<Vec<OffsetRow>> {
        let txn = self
            .registry
            .producers()
            .lock()
            .txns
            .get(tid)
            .cloned()
            .ok_or(KafkaError::from(ResponseError::InvalidProducerIdMapping))?;
        let timed_out = txn.state == TxnState::CompleteAbort
            && txn.last_epoch >= 0
            && producer.producer_id == txn.producer_id
            && producer.producer_epoch == txn.last_epoch;
        if timed_out && !commit {
            // The producer aborting the transaction its timeout already aborted.
            return Ok(Vec::new());
        }
        check_producer(&txn, producer)?;
        match (txn.state, commit) {
            (TxnState::Ongoing, _) => self.complete(store, txn, commit, false),
            // A retried EndTxn of a transaction that already ended the same way.
            (TxnState::CompleteCommit, true) | (TxnState::CompleteAbort, false) => Ok(Vec::new()),
            _ => Err(KafkaError::from(ResponseError::InvalidTxnState)),
        }
    }
}
