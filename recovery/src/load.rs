//! The load the crashes land on: producers with acks=all that record every delivery report, and
//! one consumer-group member that commits its positions synchronously and records every commit
//! the broker acknowledged.
//!
//! Every produced value is a unique id (`producer << 40 | sequence`), so the final read-back can
//! tell lost, misplaced and duplicated records apart. Plain producers send with retries off: a
//! record sent once can appear at most once, so any duplicate is the broker's fault. Idempotent
//! producers retry across the crashes; their sequence numbers must make every retry of a batch
//! that was already committed come back with its original offset instead of a second copy.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pg_kafka_tests::{base_config, producer_config};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::{ClientContext, Message, Offset};

const STATS_INTERVAL: Duration = Duration::from_millis(500);

/// How one producer runs: `Plain` without retries, `Idempotent` with `enable.idempotence=true`
/// and librdkafka's retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Plain,
    Idempotent,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Plain => "plain",
            Mode::Idempotent => "idempotent",
        }
    }
}

/// The producer an id came from (its index in the `modes` given to `producers`).
pub fn producer_of(id: u64) -> usize {
    (id >> 40) as usize
}

/// One acknowledged record: where the broker said it is.
#[derive(Clone, Copy, Debug)]
pub struct Acked {
    pub id: u64,
    pub partition: i32,
    pub offset: i64,
}

/// What every load thread shares with the harness.
#[derive(Default)]
pub struct Shared {
    pub acked: Mutex<Vec<Acked>>,
    /// Ids whose delivery report was an error.
    pub failed: Mutex<Vec<u64>>,
    pub sent: AtomicU64,
    /// Producers stop sending and flush while set (the harness checks a quiet broker).
    pub paused: AtomicBool,
    pub stop: AtomicBool,
    /// Producers that have flushed since `paused` was set.
    pub idle: AtomicU64,
    /// Highest offset per partition whose commit the broker acknowledged.
    pub committed: Mutex<BTreeMap<i32, i64>>,
    pub commits_ok: AtomicU64,
    pub commits_failed: AtomicU64,
    /// Records librdkafka wrote into produce requests, retransmissions included, per producer
    /// (its `txmsgs` statistic).
    pub transmitted: Mutex<BTreeMap<u64, u64>>,
}

struct Reports(Arc<Shared>, u64);

impl ClientContext for Reports {
    fn stats(&self, statistics: rdkafka::Statistics) {
        let mut all = self.0.transmitted.lock().expect("transmitted lock");
        let t = all.entry(self.1).or_default();
        *t = (*t).max(statistics.txmsgs.max(0) as u64);
    }
}

impl ProducerContext for Reports {
    type DeliveryOpaque = Box<u64>;

    fn delivery(&self, result: &DeliveryResult<'_>, id: Self::DeliveryOpaque) {
        match result {
            Ok(m) => self.0.acked.lock().expect("acked lock").push(Acked {
                id: *id,
                partition: m.partition(),
                offset: m.offset(),
            }),
            Err(_) => self.0.failed.lock().expect("failed lock").push(*id),
        }
    }
}

/// Start one producer thread per entry of `modes`, each writing to every partition of `topic`.
pub fn producers(
    modes: &[Mode],
    topic: &str,
    partitions: i32,
    shared: &Arc<Shared>,
) -> Vec<JoinHandle<()>> {
    modes
        .iter()
        .enumerate()
        .map(|(p, &mode)| {
            let topic = topic.to_string();
            let shared = shared.clone();
            std::thread::spawn(move || produce_loop(p as u64, &topic, partitions, mode, shared))
        })
        .collect()
}

fn produce_loop(p: u64, topic: &str, partitions: i32, mode: Mode, shared: Arc<Shared>) {
    let extra: &[(&str, &str)] = match mode {
        Mode::Plain => &[
            ("message.send.max.retries", "0"),
            ("message.timeout.ms", "15000"),
        ],
        Mode::Idempotent => &[
            ("enable.idempotence", "true"),
            ("message.timeout.ms", "30000"),
        ],
    };
    let mut config = producer_config(extra);
    config.set(
        "statistics.interval.ms",
        STATS_INTERVAL.as_millis().to_string(),
    );
    let producer: BaseProducer<Reports> = config
        .create_with_context(Reports(shared.clone(), p))
        .expect("create producer");
    let mut seq: u64 = 0;
    let mut was_idle = false;
    while !shared.stop.load(Ordering::Relaxed) {
        if shared.paused.load(Ordering::Relaxed) {
            if !was_idle {
                let _ = producer.flush(Duration::from_secs(60));
                shared.idle.fetch_add(1, Ordering::SeqCst);
                was_idle = true;
            }
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        was_idle = false;
        for _ in 0..20 {
            let id = (p << 40) | seq;
            let value = id.to_string();
            let partition = (seq % partitions as u64) as i32;
            let record = BaseRecord::with_opaque_to(topic, Box::new(id))
                .partition(partition)
                .payload(value.as_bytes());
            match producer.send::<(), _>(record) {
                Ok(()) => {
                    seq += 1;
                    shared.sent.fetch_add(1, Ordering::Relaxed);
                }
                // Local queue full while the broker is down: wait for reports.
                Err(_) => break,
            }
        }
        // About 2,000 records per second per producer: enough to catch every crash mid-commit,
        // few enough that the final read-back stays quick.
        producer.poll(Duration::ZERO);
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = producer.flush(Duration::from_secs(60));
    // One more statistics report, so `transmitted` covers everything sent.
    let until = Instant::now() + STATS_INTERVAL * 3;
    while Instant::now() < until {
        producer.poll(STATS_INTERVAL / 5);
    }
}

/// One consumer-group member reading `topic` and committing its positions every 300 ms.
pub fn group_member(topic: &str, group: &str, shared: &Arc<Shared>) -> JoinHandle<()> {
    let mut config = base_config();
    config
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", "10000")
        .set("fetch.wait.max.ms", "100");
    let consumer: BaseConsumer = config.create().expect("create group member");
    consumer.subscribe(&[topic]).expect("subscribe");
    let shared = shared.clone();
    std::thread::spawn(move || {
        let mut last_commit = Instant::now();
        while !shared.stop.load(Ordering::Relaxed) {
            // Messages only move the positions that get committed; their content is checked by
            // the final read-back.
            let _ = consumer.poll(Duration::from_millis(100));
            if last_commit.elapsed() < Duration::from_millis(300) {
                continue;
            }
            last_commit = Instant::now();
            let Ok(positions) = consumer.position() else {
                continue;
            };
            let mut tpl = rdkafka::TopicPartitionList::new();
            for e in positions.elements() {
                if let Offset::Offset(o) = e.offset() {
                    let _ = tpl.add_partition_offset(e.topic(), e.partition(), Offset::Offset(o));
                }
            }
            if tpl.count() == 0 {
                continue;
            }
            match consumer.commit(&tpl, CommitMode::Sync) {
                Ok(()) => {
                    shared.commits_ok.fetch_add(1, Ordering::Relaxed);
                    let mut committed = shared.committed.lock().expect("committed lock");
                    for e in tpl.elements() {
                        if let Offset::Offset(o) = e.offset() {
                            let c = committed.entry(e.partition()).or_insert(o);
                            *c = (*c).max(o);
                        }
                    }
                }
                Err(_) => {
                    shared.commits_failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    })
}
