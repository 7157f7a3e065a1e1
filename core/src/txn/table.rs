//! The in-memory table: producers, per-partition sequence windows, transactions. Rebuilt from a
//! store snapshot at recovery.

use std::collections::{BTreeMap, HashMap, VecDeque};

use indexmap::IndexMap;
use uuid::Uuid;

use crate::store::{
    OffsetRow, ProducerBatchRow, ProducerRow, Snapshot, TxnPartitionRow, TxnRow,
    PRODUCER_BATCHES_KEPT,
};

/// A producer id and its current epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct ProducerEntry {
    pub epoch: i16,
    pub transactional_id: Option<String>,
    /// When it was last handed out or wrote a batch (ms since the epoch; memory only: after a
    /// restart it counts from the restart).
    pub last_used_ms: i64,
}

/// One appended batch as sequence checks remember it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeqBatch {
    pub first_seq: i32,
    pub last_seq: i32,
    pub base_offset: i64,
    pub last_offset: i64,
}

/// The recent batches of one producer on one partition, oldest first, all of `epoch`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartitionSeqs {
    pub epoch: i16,
    pub recent: VecDeque<SeqBatch>,
}

impl PartitionSeqs {
    pub fn push(&mut self, b: SeqBatch) {
        if self.recent.len() >= PRODUCER_BATCHES_KEPT {
            self.recent.pop_front();
        }
        self.recent.push_back(b);
    }
}

/// Kafka's transaction states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnState {
    Empty,
    Ongoing,
    PrepareCommit,
    PrepareAbort,
    CompleteCommit,
    CompleteAbort,
}

impl TxnState {
    pub fn name(self) -> &'static str {
        match self {
            TxnState::Empty => "Empty",
            TxnState::Ongoing => "Ongoing",
            TxnState::PrepareCommit => "PrepareCommit",
            TxnState::PrepareAbort => "PrepareAbort",
            TxnState::CompleteCommit => "CompleteCommit",
            TxnState::CompleteAbort => "CompleteAbort",
        }
    }

    pub fn parse(s: &str) -> TxnState {
        match s {
            "Ongoing" => TxnState::Ongoing,
            "PrepareCommit" => TxnState::PrepareCommit,
            "PrepareAbort" => TxnState::PrepareAbort,
            "CompleteCommit" => TxnState::CompleteCommit,
            "CompleteAbort" => TxnState::CompleteAbort,
            _ => TxnState::Empty,
        }
    }
}

/// A transactional id's state.
#[derive(Debug, Clone, PartialEq)]
pub struct Txn {
    pub transactional_id: String,
    pub producer_id: i64,
    pub epoch: i16,
    /// The epoch a timeout abort bumped away from, -1 if none (see [`TxnRow`]).
    pub last_epoch: i16,
    pub state: TxnState,
    pub timeout_ms: i32,
    pub start_ms: i64,
    /// Partitions in the current transaction, with the offset of its first batch there (-1 none).
    pub partitions: IndexMap<(Uuid, i32), i64>,
    /// Offsets of TxnOffsetCommit, committed with the transaction (kept in memory only: a
    /// transaction open at a crash is aborted, so they are never needed after a restart).
    pub pending_offsets: Vec<OffsetRow>,
    /// Bumped whenever a transaction begins; a timeout only aborts the one it was armed for.
    pub serial: u64,
    /// When the transactional id last changed state (ms since the epoch; memory only).
    pub updated_ms: i64,
}

impl Txn {
    pub fn to_row(&self) -> TxnRow {
        TxnRow {
            transactional_id: self.transactional_id.clone(),
            producer_id: self.producer_id,
            producer_epoch: self.epoch,
            last_producer_epoch: self.last_epoch,
            state: self.state.name().to_owned(),
            timeout_ms: self.timeout_ms,
            start_timestamp: self.start_ms,
            partitions: self
                .partitions
                .iter()
                .map(|(&(topic_id, partition), &first_offset)| TxnPartitionRow {
                    topic_id,
                    partition,
                    first_offset,
                })
                .collect(),
        }
    }

    fn from_row(r: &TxnRow, serial: u64) -> Txn {
        Txn {
            transactional_id: r.transactional_id.clone(),
            producer_id: r.producer_id,
            epoch: r.producer_epoch,
            last_epoch: r.last_producer_epoch,
            state: TxnState::parse(&r.state),
            timeout_ms: r.timeout_ms,
            start_ms: r.start_timestamp,
            partitions: r
                .partitions
                .iter()
                .map(|p| ((p.topic_id, p.partition), p.first_offset))
                .collect(),
            pending_offsets: Vec::new(),
            serial,
            updated_ms: crate::clock::now_ms(),
        }
    }

    /// Whether a transaction is open (its partitions hold the LSO back).
    pub fn open(&self) -> bool {
        matches!(
            self.state,
            TxnState::Ongoing | TxnState::PrepareCommit | TxnState::PrepareAbort
        )
    }
}

/// Producers, their sequence windows and the transactions.
#[derive(Debug, Default)]
pub struct Table {
    pub next_producer_id: i64,
    pub producers: HashMap<i64, ProducerEntry>,
    pub seqs: HashMap<(i64, Uuid, i32), PartitionSeqs>,
    pub txns: BTreeMap<String, Txn>,
    pub next_serial: u64,
}

impl Table {
    /// The partitions of `group_id` whose offsets an open transaction holds for its commit.
    pub fn pending_offsets(&self, group_id: &str) -> std::collections::HashSet<(uuid::Uuid, i32)> {
        self.txns
            .values()
            .filter(|t| t.open())
            .flat_map(|t| t.pending_offsets.iter())
            .filter(|o| o.group_id == group_id)
            .map(|o| (o.topic_id, o.partition))
            .collect()
    }

    /// The table a restart resumes from.
    pub fn recovered(s: &Snapshot) -> Table {
        let mut t = Table::default();
        for p in &s.producers {
            t.load_producer(p);
        }
        let mut batches: Vec<&ProducerBatchRow> = s.producer_batches.iter().collect();
        batches.sort_by_key(|b| b.base_offset);
        for b in batches {
            // Only batches of the producer's current epoch count; an older epoch's are fenced.
            let current = t.producers.get(&b.producer_id).map(|p| p.epoch);
            if current != Some(b.producer_epoch) {
                continue;
            }
            let seqs = t
                .seqs
                .entry((b.producer_id, b.topic_id, b.partition))
                .or_default();
            if seqs.epoch != b.producer_epoch {
                *seqs = PartitionSeqs {
                    epoch: b.producer_epoch,
                    recent: VecDeque::new(),
                };
            }
            seqs.push(SeqBatch {
                first_seq: b.base_sequence,
                last_seq: sequence_end(b.base_sequence, b.record_count),
                base_offset: b.base_offset,
                last_offset: b.last_offset,
            });
        }
        for r in &s.transactions {
            t.next_serial += 1;
            t.txns
                .insert(r.transactional_id.clone(), Txn::from_row(r, t.next_serial));
        }
        t
    }

    fn load_producer(&mut self, p: &ProducerRow) {
        self.next_producer_id = self.next_producer_id.max(p.producer_id.saturating_add(1));
        self.producers.insert(
            p.producer_id,
            ProducerEntry {
                epoch: p.producer_epoch,
                transactional_id: p.transactional_id.clone(),
                last_used_ms: crate::clock::now_ms(),
            },
        );
    }
}

/// The last sequence of a batch of `count` records starting at `first`, wrapping past i32::MAX.
pub fn sequence_end(first: i32, count: i32) -> i32 {
    let end = (i64::from(first) + i64::from(count.max(1)) - 1) % (i64::from(i32::MAX) + 1);
    i32::try_from(end).unwrap_or(0)
}

/// The sequence that follows `last`.
pub fn next_sequence(last: i32) -> i32 {
    if last == i32::MAX {
        0
    } else {
        last + 1
    }
}
