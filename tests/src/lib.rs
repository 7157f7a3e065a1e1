//! Shared helpers for the black-box tests and the benchmark: where the broker and Postgres are
//! (from the environment the Makefile sets), unique topic names, rdkafka producer/consumer
//! builders, and raw Kafka frame helpers for hostile-input tests.
//!
//! Owns no broker state; everything here talks to a running cluster over TCP only.

pub mod abuse;
pub mod batch;
pub mod bench;
pub mod bench_abuse;
pub mod bench_cleaner;
pub mod bench_groups;
pub mod bench_security;
pub mod groups;
pub mod raw;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::{ClientContext, Offset, TopicPartitionList};

/// How long helpers wait for something that should happen promptly before giving up. This is a
/// safety net against hangs, never a performance assertion.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// `host:port` of the broker: `PG_KAFKA_BOOTSTRAP`, else the `make up` default.
pub fn bootstrap() -> String {
    std::env::var("PG_KAFKA_BOOTSTRAP").unwrap_or_else(|_| "127.0.0.1:9092".to_string())
}

/// libpq URL of the Postgres that hosts the broker: `PG_KAFKA_PGURL`, else the `make up` default.
pub fn pg_url() -> String {
    std::env::var("PG_KAFKA_PGURL")
        .unwrap_or_else(|_| "postgresql://postgres@127.0.0.1:5433/postgres".to_string())
}

/// A sync Postgres client on `pg_url()`.
pub fn pg_client() -> postgres::Client {
    postgres::Client::connect(&pg_url(), postgres::NoTls)
        .unwrap_or_else(|e| panic!("connect to {}: {e}", pg_url()))
}

/// A topic name no other test or run uses.
pub fn unique_topic(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Base client configuration: bootstrap servers and quiet, prompt failure.
pub fn base_config() -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap())
        .set("broker.address.family", "v4")
        .set("socket.timeout.ms", "30000")
        .set("log_level", "4");
    c
}

/// Producer configuration: acks=all, idempotence off (tests that want it turn it on),
/// `extra` overrides.
pub fn producer_config(extra: &[(&str, &str)]) -> ClientConfig {
    let mut c = base_config();
    c.set("acks", "all")
        .set("enable.idempotence", "false")
        .set("message.timeout.ms", "60000")
        .set("linger.ms", "5");
    for (k, v) in extra {
        c.set(*k, *v);
    }
    c
}

/// Consumer configuration for `assign`-based reading (no group join, no commits).
pub fn consumer_config(extra: &[(&str, &str)]) -> ClientConfig {
    let mut c = base_config();
    // librdkafka refuses assign() without a group.id ("Unknown group"); the group is never
    // joined and nothing is committed, so a unique id keeps consumers independent.
    c.set("group.id", unique_topic("pg-kafka-tests"))
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "false")
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", "100");
    for (k, v) in extra {
        c.set(*k, *v);
    }
    c
}

/// One delivery report: the record's index in the send order and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub index: usize,
    pub result: Result<(i32, i64), String>,
}

/// A producer context that records every delivery report.
#[derive(Default, Clone)]
pub struct Collector {
    pub deliveries: Arc<Mutex<Vec<Delivery>>>,
}

impl ClientContext for Collector {}

impl ProducerContext for Collector {
    type DeliveryOpaque = Box<usize>;

    fn delivery(&self, result: &DeliveryResult<'_>, index: Self::DeliveryOpaque) {
        let result = match result {
            Ok(m) => Ok((m.partition(), m.offset())),
            Err((e, _)) => Err(e.to_string()),
        };
        self.deliveries
            .lock()
            .expect("delivery lock")
            .push(Delivery {
                index: *index,
                result,
            });
    }
}

/// A `BaseProducer` that collects delivery reports.
pub fn producer(extra: &[(&str, &str)]) -> BaseProducer<Collector> {
    producer_config(extra)
        .create_with_context(Collector::default())
        .expect("create producer")
}

/// A record to produce.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rec {
    pub partition: Option<i32>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    pub timestamp: Option<i64>,
}

impl Rec {
    pub fn kv(key: &[u8], value: &[u8]) -> Rec {
        Rec {
            key: Some(key.to_vec()),
            value: Some(value.to_vec()),
            ..Rec::default()
        }
    }
}

/// Builds rdkafka headers preserving order, duplicates and null values.
pub fn owned_headers(headers: &[(String, Option<Vec<u8>>)]) -> Option<OwnedHeaders> {
    if headers.is_empty() {
        return None;
    }
    let mut h = OwnedHeaders::new_with_capacity(headers.len());
    for (k, v) in headers {
        h = h.insert(Header {
            key: k.as_str(),
            value: v.as_ref(),
        });
    }
    Some(h)
}

/// Serve delivery reports until nothing is in flight or `patience` has passed; true when
/// nothing is. Use it instead of `flush`: rdkafka 0.39's `flush` polls for up to 100 ms each time
/// a non-blocking flush still saw records queued, and that poll can sleep its 100 ms after the
/// last report was already served, which a benchmark or a latency probe would then measure.
pub fn drain<C: ProducerContext>(p: &BaseProducer<C>, patience: Duration) -> bool {
    let deadline = Instant::now() + patience;
    while p.in_flight_count() > 0 {
        if Instant::now() >= deadline {
            return false;
        }
        p.poll(Duration::from_millis(1));
    }
    true
}

/// Sends every record, waits for all delivery reports and returns `(partition, offset)` in send
/// order. Panics on any delivery error.
pub fn produce_all(p: &BaseProducer<Collector>, topic: &str, recs: &[Rec]) -> Vec<(i32, i64)> {
    let first_report = p.context().deliveries.lock().expect("lock").len();
    for (i, r) in recs.iter().enumerate() {
        let mut rec: BaseRecord<'_, Vec<u8>, Vec<u8>, Box<usize>> =
            BaseRecord::with_opaque_to(topic, Box::new(i));
        if let Some(k) = &r.key {
            rec = rec.key(k);
        }
        if let Some(v) = &r.value {
            rec = rec.payload(v);
        }
        if let Some(part) = r.partition {
            rec = rec.partition(part);
        }
        if let Some(ts) = r.timestamp {
            rec = rec.timestamp(ts);
        }
        if let Some(h) = owned_headers(&r.headers) {
            rec = rec.headers(h);
        }
        let mut rec = rec;
        loop {
            match p.send(rec) {
                Ok(()) => break,
                Err((e, back)) => {
                    // Local queue full: serve delivery reports and retry.
                    if format!("{e:?}").contains("QueueFull") {
                        p.poll(Duration::from_millis(10));
                        rec = back;
                    } else {
                        panic!("send record {i} to {topic}: {e}");
                    }
                }
            }
        }
        p.poll(Duration::ZERO);
    }
    assert!(drain(p, PATIENCE), "records still in flight to {topic}");
    let deadline = Instant::now() + PATIENCE;
    loop {
        p.poll(Duration::from_millis(10));
        let d = p.context().deliveries.lock().expect("lock");
        if d.len() - first_report >= recs.len() {
            let mut out = vec![(-1, -1); recs.len()];
            for rep in &d[first_report..] {
                match &rep.result {
                    Ok(po) => out[rep.index] = *po,
                    Err(e) => panic!("delivery of record {} to {topic} failed: {e}", rep.index),
                }
            }
            return out;
        }
        drop(d);
        assert!(
            Instant::now() < deadline,
            "delivery reports missing for {topic}"
        );
    }
}

/// A consumed record, detached from the consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Got {
    pub partition: i32,
    pub offset: i64,
    pub timestamp: Option<i64>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

/// A consumer with no group, for `assign`-based reads.
pub fn consumer(extra: &[(&str, &str)]) -> BaseConsumer {
    consumer_config(extra).create().expect("create consumer")
}

/// Reads `count` records of `topic`/`partition` starting at `from` (panics if they do not all
/// arrive within `PATIENCE`). Returns them in the order received.
pub fn consume(topic: &str, partition: i32, from: i64, count: usize) -> Vec<Got> {
    consume_with(&consumer(&[]), topic, partition, from, count)
}

/// As `consume`, with a caller-built consumer.
pub fn consume_with(
    c: &BaseConsumer,
    topic: &str,
    partition: i32,
    from: i64,
    count: usize,
) -> Vec<Got> {
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, partition, Offset::Offset(from))
        .expect("tpl offset");
    c.assign(&tpl).expect("assign");
    let mut out = Vec::with_capacity(count);
    let deadline = Instant::now() + PATIENCE;
    while out.len() < count {
        assert!(
            Instant::now() < deadline,
            "only {} of {count} records of {topic}/{partition} from offset {from} arrived",
            out.len()
        );
        match c.poll(Duration::from_millis(200)) {
            None => {}
            Some(Ok(m)) => out.push(got(&m)),
            Some(Err(e)) => panic!("consume {topic}/{partition}: {e}"),
        }
    }
    out
}

/// Detaches a message.
pub fn got<M: Message>(m: &M) -> Got
where
    M::Headers: Headers,
{
    let headers = m
        .headers()
        .map(|h| {
            (0..h.count())
                .map(|i| {
                    let hd = h.get(i);
                    (hd.key.to_string(), hd.value.map(|v| v.to_vec()))
                })
                .collect()
        })
        .unwrap_or_default();
    Got {
        partition: m.partition(),
        offset: m.offset(),
        timestamp: m.timestamp().to_millis(),
        key: m.key().map(|k| k.to_vec()),
        value: m.payload().map(|v| v.to_vec()),
        headers,
    }
}

/// Low and high watermarks of a partition.
pub fn watermarks(topic: &str, partition: i32) -> (i64, i64) {
    consumer(&[])
        .fetch_watermarks(topic, partition, PATIENCE)
        .expect("fetch watermarks")
}

/// Partition ids of `topic` per metadata, or None when the broker does not list it.
pub fn topic_partitions(topic: &str) -> Option<Vec<i32>> {
    let c = consumer(&[("allow.auto.create.topics", "false")]);
    let md = c
        .fetch_metadata(None, PATIENCE)
        .expect("fetch metadata for all topics");
    let t = md.topics().iter().find(|t| t.name() == topic)?;
    if t.error().is_some() {
        return None;
    }
    let mut ids: Vec<i32> = t.partitions().iter().map(|p| p.id()).collect();
    ids.sort_unstable();
    Some(ids)
}

/// A record read back through SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlRec {
    pub partition: i32,
    pub offset: i64,
    pub timestamp_ms: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

/// Records from a SQL source that yields the `kafka.records` columns, e.g.
/// `kafka.read_records($1)` or `kafka.records WHERE topic = $1`, with `$1` bound to `topic`;
/// sorted by (partition, offset).
pub fn sql_records(client: &mut postgres::Client, source: &str, topic: &str) -> Vec<SqlRec> {
    let query = format!(
        "SELECT r.partition, r.\"offset\", \
                (extract(epoch FROM r.\"timestamp\") * 1000)::bigint, r.key, r.value, \
                (SELECT array_agg(h.key ORDER BY h.ord) \
                   FROM unnest(r.headers) WITH ORDINALITY AS h(key, value, ord)), \
                (SELECT array_agg(h.value ORDER BY h.ord) \
                   FROM unnest(r.headers) WITH ORDINALITY AS h(key, value, ord)) \
           FROM (SELECT * FROM {source}) r"
    );
    let rows = client
        .query(query.as_str(), &[&topic])
        .unwrap_or_else(|e| panic!("{query}: {e}"));
    let mut out: Vec<SqlRec> = rows
        .iter()
        .map(|r| {
            let keys: Option<Vec<Option<String>>> = r.get(5);
            let vals: Option<Vec<Option<Vec<u8>>>> = r.get(6);
            let headers = keys
                .unwrap_or_default()
                .into_iter()
                .zip(vals.unwrap_or_default())
                .map(|(k, v)| (k.unwrap_or_default(), v))
                .collect();
            SqlRec {
                partition: r.get(0),
                offset: r.get(1),
                timestamp_ms: r.get(2),
                key: r.get(3),
                value: r.get(4),
                headers,
            }
        })
        .collect();
    out.sort_by_key(|r| (r.partition, r.offset));
    out
}

/// Groups consumed records by partition.
pub fn by_partition(got: &[Got]) -> HashMap<i32, Vec<&Got>> {
    let mut m: HashMap<i32, Vec<&Got>> = HashMap::new();
    for g in got {
        m.entry(g.partition).or_default().push(g);
    }
    m
}

/// Blocks on a future (for rdkafka's async AdminClient).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    futures_executor::block_on(f)
}

/// Restart the cluster with PG_KAFKA_RESTART_CMD (a shell command that restarts it and waits
/// until the Kafka port accepts connections).
pub fn restart_cluster() {
    let cmd = std::env::var("PG_KAFKA_RESTART_CMD")
        .expect("PG_KAFKA_RESTART_CMD must be set to a command that restarts the cluster");
    let status = std::process::Command::new("bash")
        .arg("-c")
        .arg(&cmd)
        .status()
        .expect("run PG_KAFKA_RESTART_CMD");
    assert!(status.success(), "restart command failed: {status}");
}
