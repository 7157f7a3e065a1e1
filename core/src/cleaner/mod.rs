//! The log cleaner: retention (`retention.ms`, `retention.bytes`) and compaction
//! (`cleanup.policy=compact`), run in the worker.
//!
//! Owns: deciding what each pass does, partition by partition (`retention`, `compaction` hold the
//! decisions), reading what it needs (batch columns from the store, batch bytes from memory or
//! the store, all through the writer), decoding and rebuilding batches off the network and
//! writer threads, and the pass report. Must not touch: the store or memory directly: every
//! change is a [`CleanStep`] the writer applies in one transaction, as it applies every other
//! mutation.
//!
//! Work is cut into steps of at most `Settings::step_bytes` of batches read or rewritten (and at
//! most `STEP_ROWS` batches), so a step holds the writer for a bounded time and produce latency
//! stays low while a pass runs. A pass runs every `check_interval`, and when `kafka.run_cleaner()`
//! asks for one.
//!
//! Crash safety: a step commits or does not; a crash between steps leaves a partition partly
//! cleaned (some batches removed or rebuilt, the checkpoint where the last step left it), never a
//! record twice, never an offset moved back; the next pass starts again from the checkpoint.

mod compaction;
mod retention;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, Semaphore};
use uuid::Uuid;

use crate::error::{KafkaError, KafkaResult};
use crate::log::{Batch, PartitionLog, ReadResult, Registry, Topic};
use crate::net::Bridge;
use crate::protocol::batch::{self, attributes, Record};
use crate::store::{BatchMeta, StoreError};
use crate::writer::{CleanStep, Command, ReadQuery, StepDone};

use compaction::Fate;
pub use compaction::{OffsetMap, MAP_ENTRY_OVERHEAD};
pub use retention::RetentionScan;

/// Most batches one step removes or rewrites.
pub const STEP_ROWS: usize = 2_000;
/// Batch columns read per metadata query.
const META_ROWS: usize = 2_000;
/// What the cleaner is told, refreshed when the settings are reloaded.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How often a pass runs (`pg_kafka.log_retention_check_interval`).
    pub check_interval: Duration,
    /// Most bytes of batches one step reads or rewrites.
    pub step_bytes: usize,
    /// Most memory for one partition's key map.
    pub map_bytes: usize,
    /// Most decoded bytes (keys, values, headers) held for one run of batches: a run is at most
    /// `step_bytes` stored, but compressed batches can decode to far more.
    pub decode_bytes: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            check_interval: Duration::from_secs(300),
            step_bytes: 8 << 20,
            map_bytes: 64 << 20,
            decode_bytes: 64 << 20,
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PassReport {
    pub partitions: u64,
    /// Bytes of batches read and looked into (compaction).
    pub bytes_examined: u64,
    pub batches_removed: u64,
    pub bytes_removed: u64,
    pub batches_rewritten: u64,
    /// Stored bytes of the rewritten batches before and after.
    pub rewritten_from: u64,
    pub rewritten_to: u64,
    /// Partitions whose log start moved.
    pub log_starts_moved: u64,
    pub errors: u64,
    pub millis: u64,
}

impl PassReport {
    fn add(&mut self, d: &StepDone) {
        self.batches_removed += d.batches_removed;
        self.bytes_removed += d.bytes_removed;
        self.batches_rewritten += d.batches_rewritten;
        self.rewritten_from += d.rewritten_from;
        self.rewritten_to += d.rewritten_to;
    }
}

/// The cleaner's handle: its settings and the channel `kafka.run_cleaner()` asks through.
pub struct Cleaner {
    registry: Arc<Registry>,
    bridge: Bridge,
    settings: Arc<RwLock<Settings>>,
    /// One decode at a time on the blocking pool.
    decoding: Semaphore,
    /// Partitions whose log start moved: rows below it may still be stored.
    below_start: std::sync::Mutex<HashSet<(Uuid, i32)>>,
    /// Passes asked for (`kafka.run_cleaner()`), taken by the running loop.
    asks: mpsc::UnboundedSender<PassRequest>,
    asked: std::sync::Mutex<Option<mpsc::UnboundedReceiver<PassRequest>>>,
}

/// Ask a running cleaner for a full pass now.
pub type PassRequest = oneshot::Sender<PassReport>;

/// A pass asked for with [`Cleaner::ask`], polled by a thread outside the runtime.
pub struct PendingPass(oneshot::Receiver<PassReport>);

impl PendingPass {
    /// None while the pass runs; then its report (None inside if the cleaner stopped first).
    pub fn poll(&mut self) -> Option<Option<PassReport>> {
        match self.0.try_recv() {
            Ok(r) => Some(Some(r)),
            Err(oneshot::error::TryRecvError::Empty) => None,
            Err(oneshot::error::TryRecvError::Closed) => Some(None),
        }
    }
}

impl Cleaner {
    pub fn new(
        registry: Arc<Registry>,
        bridge: Bridge,
        settings: Arc<RwLock<Settings>>,
    ) -> Arc<Self> {
        // After a start, any partition with a log start may have rows below it.
        let below: HashSet<(Uuid, i32)> = registry
            .all()
            .iter()
            .flat_map(|t| {
                t.partitions
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| l.log_start_offset() > 0)
                    .map(|(i, _)| (t.id, i as i32))
                    .collect::<Vec<_>>()
            })
            .collect();
        let (asks, asked) = mpsc::unbounded_channel();
        Arc::new(Cleaner {
            registry,
            bridge,
            settings,
            decoding: Semaphore::new(1),
            below_start: std::sync::Mutex::new(below),
            asks,
            asked: std::sync::Mutex::new(Some(asked)),
        })
    }

    fn settings(&self) -> Settings {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Ask for a full pass now; the receiver gets its report (nothing if the cleaner stopped).
    pub fn ask(&self) -> oneshot::Receiver<PassReport> {
        let (tx, rx) = oneshot::channel();
        let _ = self.asks.send(tx);
        rx
    }

    /// [`ask`](Self::ask), for a caller outside the runtime that polls for the report.
    pub fn ask_pending(&self) -> PendingPass {
        PendingPass(self.ask())
    }

    /// Run passes every `check_interval`, and whenever `ask`ed. Must be called inside the tokio
    /// runtime; a second call does nothing.
    pub fn start(self: &Arc<Self>) {
        let Some(mut rx) = self.asked.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return;
        };
        let me = self.clone();
        tokio::spawn(async move {
            // The interval is looked at every second, so a reloaded one applies at once.
            let mut last = tokio::time::Instant::now();
            loop {
                tokio::select! {
                    asked = rx.recv() => match asked {
                        Some(reply) => {
                            let report = me.run_pass(true).await;
                            let _ = reply.send(report);
                        }
                        None => return,
                    },
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {
                        if last.elapsed() >= me.settings().check_interval {
                            me.run_pass(false).await;
                            last = tokio::time::Instant::now();
                        }
                    }
                }
            }
        });
    }

    /// One pass over every partition. `full`: compact every compacted partition with anything to
    /// compact, whatever its dirty ratio (`kafka.run_cleaner()`).
    pub async fn run_pass(&self, full: bool) -> PassReport {
        let started = Instant::now();
        let settings = self.settings();
        let mut report = PassReport::default();
        let protected = self.protected_batches();
        for topic in self.registry.all() {
            let policy = self.registry.effective_config(&topic, "cleanup.policy");
            let delete = policy.split(',').any(|p| p.trim() == "delete");
            let compact = policy.split(',').any(|p| p.trim() == "compact");
            for (i, log) in topic.partitions.iter().enumerate() {
                let p = i as i32;
                report.partitions += 1;
                let keep = protected.get(&(topic.id, p));
                if let Err(e) = self
                    .partition(
                        &topic,
                        p,
                        log,
                        &settings,
                        keep,
                        delete,
                        compact,
                        full,
                        &mut report,
                    )
                    .await
                {
                    report.errors += 1;
                    eprintln!("pg_kafka: cleaner: {}-{p}: {e}", topic.name);
                }
            }
        }
        report.millis = started.elapsed().as_millis() as u64;
        report
    }

    /// One partition's share of a pass: rows left below a moved log start, retention, then
    /// compaction.
    #[allow(clippy::too_many_arguments)]
    async fn partition(
        &self,
        topic: &Topic,
        p: i32,
        log: &PartitionLog,
        settings: &Settings,
        protected: Option<&HashSet<i64>>,
        delete: bool,
        compact: bool,
        full: bool,
        report: &mut PassReport,
    ) -> KafkaResult<()> {
        self.purge_below_start(topic, p, log, settings, report)
            .await?;
        if delete {
            self.retention(topic, p, log, report).await?;
            self.purge_below_start(topic, p, log, settings, report)
                .await?;
        }
        if compact {
            let none = HashSet::new();
            let keep = protected.unwrap_or(&none);
            self.compact(topic, p, log, settings, keep, full, report)
                .await?;
        }
        Ok(())
    }

    /// Base offsets of each producer's recent batches (its sequence state), per partition.
    fn protected_batches(&self) -> HashMap<(Uuid, i32), HashSet<i64>> {
        let table = self.registry.producers().lock();
        let mut out: HashMap<(Uuid, i32), HashSet<i64>> = HashMap::new();
        for ((_, topic, partition), seqs) in &table.seqs {
            out.entry((*topic, *partition))
                .or_default()
                .extend(seqs.recent.iter().map(|b| b.base_offset));
        }
        out
    }

    async fn step(&self, step: CleanStep) -> KafkaResult<StepDone> {
        let (reply, rx) = oneshot::channel();
        self.bridge
            .send(Command::Clean { step, reply })
            .await
            .map_err(|_| KafkaError::storage())?;
        rx.await.map_err(|_| KafkaError::storage())?
    }

    async fn meta(&self, topic: Uuid, p: i32, from: i64) -> KafkaResult<Vec<BatchMeta>> {
        let (reply, rx) = oneshot::channel();
        let q = ReadQuery::Meta {
            topic,
            partition: p,
            from_offset: from,
            max_rows: META_ROWS,
            reply,
        };
        self.bridge
            .send(Command::Read(q))
            .await
            .map_err(|_| KafkaError::storage())?;
        stored(rx.await)
    }

    /// Whole batches from `from`, up to `max_bytes` (at least one): from memory when it holds
    /// them, else from the store.
    async fn batches(
        &self,
        topic: Uuid,
        p: i32,
        log: &PartitionLog,
        from: i64,
        max_bytes: usize,
    ) -> KafkaResult<Vec<Batch>> {
        if let ReadResult::Batches(b) = log.read(from, max_bytes) {
            if !b.is_empty() {
                return Ok(b);
            }
        }
        let (reply, rx) = oneshot::channel();
        let q = ReadQuery::Batches {
            topic,
            partition: p,
            offset: from,
            max_bytes,
            reply,
        };
        self.bridge
            .send(Command::Read(q))
            .await
            .map_err(|_| KafkaError::storage())?;
        stored(rx.await)
    }

    /// Decode the records of `batches` on the blocking pool, one decode at a time.
    async fn decode(&self, batches: Vec<Batch>) -> Vec<Option<Vec<Record>>> {
        let Ok(_permit) = self.decoding.acquire().await else {
            return Vec::new();
        };
        let budget = self.settings().decode_bytes;
        tokio::task::spawn_blocking(move || decode_within(&batches, budget))
            .await
            .unwrap_or_default()
    }

    /// Remove the rows a moved log start left below it, in steps.
    async fn purge_below_start(
        &self,
        topic: &Topic,
        p: i32,
        log: &PartitionLog,
        settings: &Settings,
        report: &mut PassReport,
    ) -> KafkaResult<()> {
        let key = (topic.id, p);
        let pending = self
            .below_start
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&key);
        if !pending {
            return Ok(());
        }
        loop {
            let start = log.log_start_offset();
            let metas = self.meta(topic.id, p, 0).await?;
            let mut bytes = 0usize;
            let below: Vec<BatchMeta> = metas
                .into_iter()
                .take_while(|m| m.last_offset < start)
                .take_while(|m| {
                    bytes += m.size;
                    bytes <= settings.step_bytes.max(m.size)
                })
                .take(STEP_ROWS)
                .collect();
            if below.is_empty() {
                self.below_start
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&key);
                return Ok(());
            }
            let done = self
                .step(CleanStep {
                    topic_id: topic.id,
                    partition: p,
                    remove: below,
                    ..CleanStep::default()
                })
                .await?;
            report.add(&done);
        }
    }

    /// Move the log start past what retention.ms and retention.bytes no longer keep.
    async fn retention(
        &self,
        topic: &Topic,
        p: i32,
        log: &PartitionLog,
        report: &mut PassReport,
    ) -> KafkaResult<()> {
        let retention_ms = number(&self.registry.effective_config(topic, "retention.ms"));
        let retention_bytes = number(&self.registry.effective_config(topic, "retention.bytes"));
        let start = log.log_start_offset();
        let live = log.stored().bytes;
        let now = crate::clock::now_ms();
        let Some(mut scan) = RetentionScan::new(now, retention_ms, retention_bytes, live, start)
        else {
            return Ok(());
        };
        // Never past the last stable offset: an open transaction's records stay.
        let limit = log.last_stable_offset();
        let mut from = start;
        'scan: loop {
            let metas = self.meta(topic.id, p, from).await?;
            if metas.is_empty() {
                break;
            }
            for m in &metas {
                if m.last_offset < start {
                    continue;
                }
                if m.last_offset >= limit || !scan.feed(m) {
                    break 'scan;
                }
            }
            from = metas.last().map_or(from, |m| m.last_offset + 1);
            if metas.len() < META_ROWS {
                break;
            }
        }
        let cut = scan.cut.min(limit);
        if cut > start {
            let done = self
                .step(CleanStep {
                    topic_id: topic.id,
                    partition: p,
                    log_start: Some(cut),
                    ..CleanStep::default()
                })
                .await?;
            report.add(&done);
            report.log_starts_moved += 1;
            self.below_start
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert((topic.id, p));
        }
        Ok(())
    }

    /// Compact the partition's dirty section if it is due (or `full`).
    #[allow(clippy::too_many_arguments)]
    async fn compact(
        &self,
        topic: &Topic,
        p: i32,
        log: &PartitionLog,
        settings: &Settings,
        protected: &HashSet<i64>,
        full: bool,
        report: &mut PassReport,
    ) -> KafkaResult<()> {
        let now = crate::clock::now_ms();
        let min_lag = number(
            &self
                .registry
                .effective_config(topic, "min.compaction.lag.ms"),
        )
        .max(0);
        let max_lag = number(
            &self
                .registry
                .effective_config(topic, "max.compaction.lag.ms"),
        );
        let ratio: f64 = self
            .registry
            .effective_config(topic, "min.cleanable.dirty.ratio")
            .parse()
            .unwrap_or(0.5);
        let delete_retention =
            number(&self.registry.effective_config(topic, "delete.retention.ms")).max(0);
        let start = log.log_start_offset();
        let stored = log.stored();
        let dirty_from = stored.cleaned_offset.max(start);

        // The dirty section's batch columns, up to the cleanable end: not the newest batch, not
        // at or past the last stable offset, nothing younger than min.compaction.lag.ms.
        let lso = log.last_stable_offset();
        if log.high_watermark() == 0 {
            return Ok(());
        }
        let newest_base = {
            let m = self.meta(topic.id, p, log.high_watermark() - 1).await?;
            m.last().map_or(log.high_watermark(), |b| b.base_offset)
        };
        let mut end = lso.min(newest_base);
        let mut dirty: Vec<BatchMeta> = Vec::new();
        let mut from = dirty_from;
        'scan: loop {
            let metas = self.meta(topic.id, p, from).await?;
            let last = metas.len() < META_ROWS;
            for m in metas {
                if m.base_offset < dirty_from {
                    continue;
                }
                if m.base_offset >= end || m.last_offset >= end {
                    end = end.min(m.base_offset);
                    break 'scan;
                }
                if m.max_timestamp > now - min_lag {
                    end = m.base_offset;
                    break 'scan;
                }
                from = m.last_offset + 1;
                dirty.push(m);
            }
            if last {
                break;
            }
        }
        let dirty_bytes: usize = dirty.iter().map(|m| m.size).sum();
        let live = (stored.bytes as f64).max(1.0);
        let overdue = max_lag >= 0
            && dirty
                .first()
                .is_some_and(|m| m.max_timestamp < now.saturating_sub(max_lag));
        let due = !dirty.is_empty() && (full || (dirty_bytes as f64) / live >= ratio || overdue);
        // With nothing (due) to compact, the cleaned section is still rewritten once a
        // tombstone's or marker's delete horizon there has passed (Kafka's KIP-534).
        let expired = !due
            && self
                .horizon_passed(topic.id, p, start, dirty_from.min(end), now)
                .await?;
        if !due && !expired {
            return Ok(());
        }

        // The map of the dirty section's latest offsets, as far as the budget reaches; it
        // covers whole batches, up to `map_end`. Without a due dirty section the map stays
        // empty: keys in the cleaned section appear once already.
        let aborted = log.aborted_txns_between(start, end);
        let mut map = OffsetMap::new(settings.map_bytes);
        let mut map_end = dirty_from;
        let mut at = if due { 0 } else { dirty.len() };
        'map: while at < dirty.len() {
            let run = self
                .run(topic.id, p, log, &dirty[at..], settings.step_bytes)
                .await?;
            if run.is_empty() {
                break;
            }
            report.bytes_examined += run.iter().map(|(_, b)| b.bytes.len() as u64).sum::<u64>();
            let n = run.len();
            let (metas, batches): (Vec<BatchMeta>, Vec<Batch>) = run.into_iter().unzip();
            let decoded = self.decode(batches).await;
            // Decoding stopped at its budget: the map ends before the first batch it left.
            let short = decoded.len() < n;
            for (m, records) in metas.iter().zip(decoded) {
                if !attributes::is_control(m.attributes) {
                    // An undecodable batch ends what this pass compacts; it is kept.
                    let Some(records) = records else { break 'map };
                    let aborted_batch =
                        compaction::is_aborted(&aborted, m.producer_id, m.base_offset);
                    if !map.add_batch(&records, aborted_batch) {
                        break 'map;
                    }
                }
                map_end = m.last_offset + 1;
            }
            if short {
                break;
            }
            at += n;
        }
        if map_end <= dirty_from && !expired {
            return Ok(());
        }

        // Rewrite [log start, map end) in steps.
        let mut from = start;
        loop {
            let metas: Vec<BatchMeta> = self
                .meta(topic.id, p, from)
                .await?
                .into_iter()
                .filter(|m| m.base_offset >= start && m.last_offset < map_end)
                .collect();
            if metas.is_empty() {
                break;
            }
            let mut step = CleanStep {
                topic_id: topic.id,
                partition: p,
                ..CleanStep::default()
            };
            let mut covered = from;
            let mut work = 0usize;
            let mut i = 0;
            while i < metas.len()
                && step.remove.len() + step.replace.len() < STEP_ROWS
                && work < settings.step_bytes
            {
                let m = metas[i];
                if protected.contains(&m.base_offset) {
                    // A producer's sequence state: left as it is.
                } else if attributes::is_control(m.attributes) {
                    match compaction::marker(&m, now) {
                        Fate::Remove => step.remove.push(m),
                        Fate::KeepWithHorizon => {
                            step.horizons.push((m.base_offset, now + delete_retention))
                        }
                        _ => {}
                    }
                } else {
                    let run: Vec<(BatchMeta, Batch)> = self
                        .run(topic.id, p, log, &metas[i..], settings.step_bytes)
                        .await?
                        .into_iter()
                        .take_while(|(m, _)| {
                            !attributes::is_control(m.attributes)
                                && !protected.contains(&m.base_offset)
                        })
                        .collect();
                    if run.is_empty() {
                        break; // not readable now; the next pass tries again
                    }
                    i += run.len();
                    let (run_metas, run_batches): (Vec<BatchMeta>, Vec<Batch>) =
                        run.into_iter().unzip();
                    work += run_batches.iter().map(|b| b.bytes.len()).sum::<usize>();
                    let decoded = self.decode(run_batches.clone()).await;
                    // Decoding stopped at its budget: this step ends before the first batch it
                    // left, and the next step starts there.
                    let short = decoded.len() < run_metas.len();
                    i -= run_metas.len() - decoded.len();
                    for ((m, b), records) in run_metas.iter().zip(&run_batches).zip(decoded) {
                        covered = m.last_offset + 1;
                        let Some(records) = records else { continue };
                        let aborted_batch =
                            compaction::is_aborted(&aborted, m.producer_id, m.base_offset);
                        match compaction::data_batch(m, records, &map, aborted_batch, now) {
                            Fate::Keep => {}
                            Fate::KeepWithHorizon => {
                                step.horizons.push((m.base_offset, now + delete_retention))
                            }
                            Fate::Remove => step.remove.push(*m),
                            Fate::Rebuild(kept) => match batch::rebuild(&b.bytes, &kept) {
                                Ok(bytes) => {
                                    if m.delete_horizon_ms.is_none()
                                        && kept.iter().any(|r| r.value.is_none())
                                    {
                                        step.horizons.push((m.base_offset, now + delete_retention));
                                    }
                                    step.replace.push((*m, rebuilt_batch(b, &kept, bytes)));
                                }
                                Err(e) => eprintln!(
                                    "pg_kafka: cleaner: {}-{p} batch {}: {e}",
                                    topic.name, m.base_offset
                                ),
                            },
                        }
                    }
                    if short {
                        break;
                    }
                    continue;
                }
                covered = m.last_offset + 1;
                i += 1;
            }
            let finished = covered >= map_end;
            if finished {
                step.cleaned_offset = Some(map_end);
            }
            let done = self.step(step).await?;
            report.add(&done);
            if finished || covered <= from {
                break;
            }
            from = covered;
        }
        Ok(())
    }

    /// Whether a batch in [`from`, `to`) has a delete horizon that has passed.
    async fn horizon_passed(
        &self,
        topic: Uuid,
        p: i32,
        from: i64,
        to: i64,
        now: i64,
    ) -> KafkaResult<bool> {
        let mut at = from;
        while at < to {
            let metas = self.meta(topic, p, at).await?;
            let Some(last) = metas.last() else { break };
            let next = last.last_offset + 1;
            if metas
                .iter()
                .any(|m| m.base_offset < to && m.delete_horizon_ms.is_some_and(|h| h <= now))
            {
                return Ok(true);
            }
            if metas.len() < META_ROWS {
                break;
            }
            at = next;
        }
        Ok(false)
    }

    /// The batches of `metas` (in order, from the first) that one read returns, each with its
    /// columns: a run of consecutive stored batches up to about `max_bytes`.
    async fn run(
        &self,
        topic: Uuid,
        p: i32,
        log: &PartitionLog,
        metas: &[BatchMeta],
        max_bytes: usize,
    ) -> KafkaResult<Vec<(BatchMeta, Batch)>> {
        let Some(first) = metas.first() else {
            return Ok(Vec::new());
        };
        let batches = self
            .batches(topic, p, log, first.base_offset, max_bytes)
            .await?;
        let by_base: HashMap<i64, Batch> =
            batches.into_iter().map(|b| (b.base_offset, b)).collect();
        Ok(metas
            .iter()
            .map_while(|m| by_base.get(&m.base_offset).map(|b| (*m, b.clone())))
            .collect())
    }
}

/// Largest decoded batch the cleaner decodes (a larger one is kept as it is).
const BATCH_DECODED_CAP: usize = 256 << 20;

/// The records of the first batches, in order, while their decoded size stays within `budget`:
/// decoding stops before the batch that would pass it, so the result may be shorter than
/// `batches`, and the caller leaves the rest for its next run. The first batch is always decoded
/// (within BATCH_DECODED_CAP), so every run gets somewhere. A batch that does not decode is None.
fn decode_within(batches: &[Batch], budget: usize) -> Vec<Option<Vec<Record>>> {
    let mut left = budget;
    let mut out = Vec::with_capacity(batches.len());
    for b in batches {
        let first = out.is_empty();
        let limit = if first {
            BATCH_DECODED_CAP.max(left)
        } else {
            left
        };
        let records = match batch::decode_records(&b.bytes, limit) {
            Ok(records) => records,
            Err(_) if first || left > 0 => {
                out.push(None);
                continue;
            }
            Err(_) => break,
        };
        let size: usize = records.iter().map(decoded_size).sum();
        if size > left && !first {
            break;
        }
        left = left.saturating_sub(size);
        out.push(Some(records));
    }
    out
}

/// What a decoded record holds in memory, roughly: its bytes and a fixed overhead.
fn decoded_size(r: &Record) -> usize {
    let headers: usize = r
        .headers
        .iter()
        .map(|(k, v)| k.len() + v.as_ref().map_or(0, Vec::len) + 48)
        .sum();
    r.key.as_ref().map_or(0, Vec::len) + r.value.as_ref().map_or(0, Vec::len) + headers + 96
}

/// `b` with `bytes` rebuilt from `kept`: same offsets, producer fields and attributes.
fn rebuilt_batch(b: &Batch, kept: &[Record], bytes: bytes::Bytes) -> Batch {
    let max_timestamp = if attributes::is_log_append_time(b.attributes) {
        b.max_timestamp
    } else {
        kept.iter()
            .map(|r| r.timestamp)
            .max()
            .unwrap_or(b.max_timestamp)
    };
    Batch {
        record_count: kept.len() as i32,
        max_timestamp,
        bytes,
        ..b.clone()
    }
}

fn stored<T>(r: Result<Result<T, StoreError>, oneshot::error::RecvError>) -> KafkaResult<T> {
    match r {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => {
            eprintln!("pg_kafka: cleaner read: {e}");
            Err(KafkaError::storage())
        }
        Err(_) => Err(KafkaError::storage()),
    }
}

fn number(v: &str) -> i64 {
    v.parse().unwrap_or(-1)
}
