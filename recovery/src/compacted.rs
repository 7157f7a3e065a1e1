//! The cleaner crash kind: a compacted topic whose keys are updated round after round, the
//! worker killed (SIGKILL) while `kafka.run_cleaner()` is compacting it, and after the restart
//! every surviving key's latest value checked at the offset it was acknowledged with.
//!
//! What must hold after any crash: every record read is one that was acknowledged at that offset
//! (nothing twice, nothing moved); each key's last record read is the one acknowledged last; the
//! high watermark is where the acknowledgements left it. Steps are made small
//! (`pg_kafka.log_cleaner_step_size`) so the kill lands inside a pass of many steps.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use pg_kafka_tests::{consumer, pg_url, produce_all, producer, unique_topic, Rec};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

use crate::checks::Violations;

const KEYS: usize = 1000;
/// A value long enough that one round spans many batches and cleaner steps.
const VALUE_BYTES: usize = 200;
const PATIENCE: Duration = Duration::from_secs(60);

/// The compacted topic and what was acknowledged on it.
pub struct Compacted {
    pub topic: String,
    rounds: u64,
    /// offset -> (key, value) of every acknowledged record.
    acked: BTreeMap<i64, (Vec<u8>, Vec<u8>)>,
    /// key -> offset of its latest acknowledged record.
    latest: BTreeMap<Vec<u8>, i64>,
    pub passes_interrupted: u64,
    /// How long the last uninterrupted pass took (after the first rounds).
    pub pass_ms: u64,
}

fn sql(query: &str) -> Result<(), postgres::Error> {
    let mut c = postgres::Client::connect(&pg_url(), postgres::NoTls)?;
    c.batch_execute(query)
}

impl Compacted {
    pub fn create() -> Compacted {
        let topic = unique_topic("crash-compacted");
        let admin: rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext> =
            pg_kafka_tests::base_config().create().expect("admin");
        let new =
            rdkafka::admin::NewTopic::new(&topic, 1, rdkafka::admin::TopicReplication::Fixed(1))
                .set("cleanup.policy", "compact")
                .set("min.cleanable.dirty.ratio", "0.01");
        let res = pg_kafka_tests::block_on(
            admin.create_topics(&[new], &rdkafka::admin::AdminOptions::new()),
        )
        .expect("CreateTopics");
        for r in res {
            r.unwrap_or_else(|(t, e)| panic!("create topic {t}: {e}"));
        }
        sql("ALTER SYSTEM SET pg_kafka.log_cleaner_step_size = '64kB'")
            .and_then(|()| sql("SELECT pg_reload_conf()"))
            .expect("set the cleaner step size");
        let mut c = Compacted {
            topic,
            rounds: 0,
            acked: BTreeMap::new(),
            latest: BTreeMap::new(),
            passes_interrupted: 0,
            pass_ms: 0,
        };
        for _ in 0..4 {
            c.round();
        }
        // A pass over four rounds, timed: a crash lands within that long of a pass starting.
        let t0 = Instant::now();
        sql("SELECT kafka.run_cleaner()").expect("a first pass");
        c.pass_ms = t0.elapsed().as_millis() as u64;
        c
    }

    /// Update every key once, in many small batches, then a filler (the newest batch is never
    /// compacted, so the keys' last updates are behind it).
    pub fn round(&mut self) {
        self.rounds += 1;
        let p = producer(&[("batch.num.messages", "40"), ("linger.ms", "1")]);
        let mut recs: Vec<Rec> = (0..KEYS)
            .map(|k| {
                let mut value = format!("r{}-k{k}-", self.rounds).into_bytes();
                value.resize(VALUE_BYTES, b'.');
                Rec {
                    partition: Some(0),
                    ..Rec::kv(format!("key-{k}").as_bytes(), &value)
                }
            })
            .collect();
        // The filler goes once every key's update is acknowledged, so it is a batch of its own:
        // with linger.ms the producer can put the round's last updates in one batch with it,
        // and the newest batch (never compacted) would then hold updates the pass must keep.
        let mut offsets = produce_all(&p, &self.topic, &recs);
        let filler = Rec {
            partition: Some(0),
            ..Rec::kv(b"filler", format!("filler-{}", self.rounds).as_bytes())
        };
        offsets.extend(produce_all(&p, &self.topic, std::slice::from_ref(&filler)));
        recs.push(filler);
        for (r, (_, offset)) in recs.iter().zip(offsets) {
            let key = r.key.clone().unwrap_or_default();
            self.acked
                .insert(offset, (key.clone(), r.value.clone().unwrap_or_default()));
            self.latest.insert(key, offset);
        }
    }

    /// Start a full pass on another connection (it fails when the worker dies under it).
    pub fn start_pass() -> std::thread::JoinHandle<bool> {
        std::thread::spawn(|| sql("SELECT kafka.run_cleaner()").is_ok())
    }

    /// Distinct keys written (the filler included).
    pub fn keys(&self) -> usize {
        self.latest.len()
    }

    fn high_watermark(&self) -> i64 {
        self.acked.keys().next_back().map_or(0, |o| o + 1)
    }

    /// Read the whole partition and check it against what was acknowledged: how many records
    /// it holds, and the keys read more than once (each with its earlier offset).
    pub fn check(&self, v: &mut Violations) -> (usize, Vec<(String, i64)>) {
        let c: BaseConsumer = consumer(&[]);
        let hw = self.high_watermark();
        match c.fetch_watermarks(&self.topic, 0, Duration::from_secs(10)) {
            Ok((_, high)) if high == hw => {}
            Ok((_, high)) => v.add(
                "compacted_high_watermark",
                format!(
                    "{}: high watermark {high}, acknowledged up to {hw}",
                    self.topic
                ),
            ),
            Err(e) => v.add("compacted_unreadable", format!("{}: {e}", self.topic)),
        }
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(&self.topic, 0, Offset::Beginning)
            .expect("tpl");
        c.assign(&tpl).expect("assign");
        let mut last_of: BTreeMap<Vec<u8>, i64> = BTreeMap::new();
        let mut twice: Vec<(String, i64)> = Vec::new();
        let mut previous = -1i64;
        let mut read = 0usize;
        let deadline = Instant::now() + PATIENCE;
        while previous < hw - 1 {
            if Instant::now() > deadline {
                v.add(
                    "compacted_unreadable",
                    format!("{}: stopped at offset {previous} of {hw}", self.topic),
                );
                break;
            }
            let m = match c.poll(Duration::from_millis(200)) {
                None => continue,
                Some(Err(e)) => {
                    v.add("compacted_unreadable", format!("{}: {e}", self.topic));
                    break;
                }
                Some(Ok(m)) => m,
            };
            let offset = m.offset();
            read += 1;
            if offset <= previous {
                v.add(
                    "compacted_offset_twice",
                    format!("{}: offset {offset} after {previous}", self.topic),
                );
            }
            previous = previous.max(offset);
            let key = m.key().unwrap_or_default().to_vec();
            let value = m.payload().unwrap_or_default().to_vec();
            match self.acked.get(&offset) {
                Some((k, val)) if *k == key && *val == value => {}
                _ => v.add(
                    "compacted_unknown_record",
                    format!(
                        "{}: offset {offset} is not the record acknowledged there",
                        self.topic
                    ),
                ),
            }
            if let Some(before) = last_of.insert(key.clone(), offset) {
                twice.push((String::from_utf8_lossy(&key).into_owned(), before));
            }
        }

        if last_of != self.latest {
            let wrong = self
                .latest
                .iter()
                .filter(|(k, o)| last_of.get(*k) != Some(o))
                .count();
            v.add(
                "compacted_latest_value",
                format!(
                    "{}: {wrong} keys' last record is not their latest",
                    self.topic
                ),
            );
        }
        (read, twice)
    }
}
