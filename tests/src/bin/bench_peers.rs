//! The librdkafka client of `make bench-peers` (scripts/peers/bench_peers.py drives it): the same
//! scenarios against whichever broker `PG_KAFKA_BOOTSTRAP` names, one JSON line per scenario on
//! stdout, progress on stderr. It never starts or stops a broker and never asserts a figure.
//!
//!   bench_peers run                       every scenario below, on new topics
//!   bench_peers fill TOPIC N SIZE PARTS   store N records of SIZE bytes (the restart scenario)
//!   bench_peers first-fetch TOPIC OFFSET  wait until a fetch of TOPIC at OFFSET returns a record
//!   bench_peers create TOPIC PARTS        create a topic (for the Java client's scenarios)
//!
//! Environment: `BENCH_BROKER` (the name on each line), `BENCH_PID` (the broker process whose
//! resident memory each line reports), `BENCH_SCALE` (scales record counts), `BENCH_CREATE_TOPIC`
//! (a shell command with `{topic}` and `{partitions}` that creates a topic, for a broker whose
//! CreateTopics librdkafka's admin client cannot use; default: the admin client), `BENCH_PGURL`
//! (when set, `run` also measures the Postgres floor there: a COPY of the same rows).

use std::sync::Arc;
use std::time::{Duration, Instant};

use pg_kafka_tests::bench::*;
use pg_kafka_tests::*;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::{json, Value};

fn broker() -> String {
    std::env::var("BENCH_BROKER").unwrap_or_else(|_| "unnamed".to_string())
}

fn scaled(n: usize) -> usize {
    let s: f64 = std::env::var("BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|s: &f64| *s > 0.0)
        .unwrap_or(1.0);
    ((n as f64 * s) as usize).max(1)
}

/// Resident memory of the broker process now, in MB (None without `BENCH_PID`).
fn rss_mb() -> Option<f64> {
    let pid = std::env::var("BENCH_PID").ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some((kb / 1024.0 * 10.0).round() / 10.0)
}

/// One result line: the fields every line has, then the scenario's own.
fn report(scenario: &str, fields: Value) {
    let mut v = json!({
        "broker": broker(),
        "client": "librdkafka",
        "scenario": scenario,
        "msgs_per_s": null,
        "mb_per_s": null,
        "p50_ms": null,
        "p99_ms": null,
        "rss_mb": rss_mb(),
    });
    if let (Some(into), Value::Object(from)) = (v.as_object_mut(), fields) {
        into.extend(from);
    }
    emit(v);
}

fn create_topic(topic: &str, partitions: i32) {
    if let Ok(cmd) = std::env::var("BENCH_CREATE_TOPIC") {
        let cmd = cmd
            .replace("{topic}", topic)
            .replace("{partitions}", &partitions.to_string());
        let status = std::process::Command::new("sh")
            .args(["-c", &cmd])
            .status()
            .expect("run BENCH_CREATE_TOPIC");
        assert!(status.success(), "{cmd}");
    } else {
        let admin: AdminClient<DefaultClientContext> =
            base_config().create().expect("admin client");
        let topics = [NewTopic::new(topic, partitions, TopicReplication::Fixed(1))];
        let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
        let results = block_on(admin.create_topics(&topics, &opts)).expect("create_topics");
        for r in results {
            r.unwrap_or_else(|(t, e)| panic!("create topic {t}: {e}"));
        }
    }
    // Wait until the topic's partitions have leaders, so the clock never includes creation.
    let deadline = Instant::now() + PATIENCE;
    while topic_partitions(topic).map(|p| p.len()) != Some(partitions as usize) {
        assert!(Instant::now() < deadline, "topic {topic} never appeared");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// How a produce scenario produces.
struct Produce {
    size: usize,
    count: usize,
    partitions: i32,
    producers: usize,
    compression: &'static str,
}

/// Produces `count` records (acks=all, linger.ms=5) from `producers` threads, each with its own
/// producer, spread over the topic's partitions; the clock runs from the first send to the last
/// delivery report. Returns (msgs/s, MB/s, failed).
fn produce(topic: &str, spec: &Produce) -> (f64, f64, usize) {
    let value = Arc::new(payload(spec.size, 42));
    let per = spec.count / spec.producers;
    let start = Instant::now();
    let workers: Vec<_> = (0..spec.producers)
        .map(|w| {
            let topic = topic.to_string();
            let value = value.clone();
            let (compression, partitions) = (spec.compression, spec.partitions);
            std::thread::spawn(move || {
                let p = producer(&[
                    ("acks", "all"),
                    ("linger.ms", "5"),
                    ("compression.type", compression),
                    ("queue.buffering.max.messages", "1000000"),
                    ("queue.buffering.max.kbytes", "1048576"),
                    ("message.timeout.ms", "300000"),
                ]);
                for i in 0..per {
                    let partition = ((w * per + i) % partitions as usize) as i32;
                    let rec: BaseRecord<'_, [u8], [u8], Box<usize>> =
                        BaseRecord::with_opaque_to(&topic, Box::new(i))
                            .partition(partition)
                            .payload(&value[..]);
                    send_waiting(&p, rec);
                    if i % 1000 == 0 {
                        p.poll(Duration::ZERO);
                    }
                }
                assert!(drain(&p, Duration::from_secs(600)), "flush");
                let d = p.context().deliveries.lock().expect("lock");
                d.iter().filter(|d| d.result.is_err()).count()
            })
        })
        .collect();
    let failed: usize = workers
        .into_iter()
        .map(|w| w.join().expect("producer"))
        .sum();
    let secs = start.elapsed().as_secs_f64();
    let n = per * spec.producers;
    (rate(n, secs), mb_rate(n * spec.size, secs), failed)
}

fn produce_scenario(name: &str, spec: Produce) -> String {
    let topic = unique_topic(&format!("peers-{name}"));
    create_topic(&topic, spec.partitions);
    eprintln!("{}: {name}: {} x {} B", broker(), spec.count, spec.size);
    let (msgs, mb, failed) = produce(&topic, &spec);
    report(
        name,
        json!({
            "msgs_per_s": msgs, "mb_per_s": mb, "records": spec.count, "failed": failed,
            "partitions": spec.partitions, "producers": spec.producers,
            "compression": spec.compression,
        }),
    );
    topic
}

/// A consumer that reads with large fetches and never pauses on a full local queue (librdkafka
/// otherwise waits fetch.queue.backoff.ms once queued.min.messages are buffered; see
/// docs/performance.md).
fn reader(extra: &[(&str, &str)]) -> BaseConsumer {
    let mut cfg = vec![
        ("fetch.max.bytes", "52428800"),
        ("queued.max.messages.kbytes", "1048576"),
        ("queued.min.messages", "10000000"),
    ];
    cfg.extend_from_slice(extra);
    consumer(&cfg)
}

/// Reads `count` records of partition 0 from its start, with librdkafka's default
/// max.partition.fetch.bytes (1 MiB) as most users have it; timed from the first record to the
/// last.
fn consume_scenario(name: &str, topic: &str, size: usize, count: usize) {
    let c = reader(&[]);
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Beginning)
        .expect("tpl");
    c.assign(&tpl).expect("assign");
    eprintln!("{}: {name}: {count} records", broker());
    // The clock starts at the first record: connecting and finding the start are not reading.
    let mut start = None;
    let (mut n, mut bytes) = (0usize, 0usize);
    let deadline = Instant::now() + Duration::from_secs(900);
    while n < count && Instant::now() < deadline {
        if let Some(Ok(m)) = c.poll(Duration::from_millis(100)) {
            start.get_or_insert_with(Instant::now);
            n += 1;
            bytes += m.payload().map(<[u8]>::len).unwrap_or(0);
        }
    }
    let secs = start.map_or(f64::NAN, |s| s.elapsed().as_secs_f64());
    report(
        name,
        json!({
            "msgs_per_s": rate(n, secs), "mb_per_s": mb_rate(bytes, secs),
            "records": n, "record_bytes": size,
        }),
    );
}

/// Produces 1 KiB records at a steady `per_s` for `secs` (acks=all, linger.ms=0); a consumer
/// thread reads each and takes now minus the send time carried in its first 8 bytes.
fn latency_scenario(per_s: u64, secs: u64) {
    let name = format!("e2e_1024B_{per_s}");
    let topic = unique_topic("peers-e2e");
    create_topic(&topic, 1);
    let total = (per_s * secs) as usize;
    let p = producer(&[("acks", "all"), ("linger.ms", "0")]);
    eprintln!("{}: {name}: {total} records over {secs} s", broker());
    // The consumer assigns and starts fetching before the first probe is sent.
    let lat = paced_latencies(
        &p,
        &topic,
        Offset::Beginning,
        per_s,
        total,
        &payload(1024 - 8, 7),
        Duration::from_secs(2),
    );
    report(
        &name,
        json!({
            "msgs_per_s": per_s as f64, "sent": total, "received": lat.len(),
            "p50_ms": percentile(&lat, 0.50), "p99_ms": percentile(&lat, 0.99),
            "p999_ms": percentile(&lat, 0.999), "max_ms": percentile(&lat, 1.0),
        }),
    );
}

/// The Postgres floor beside the broker: the produce scenario's rows (1 KiB, same count) as one
/// `COPY` into a plain table of the broker's Postgres, reported as broker `postgres`.
fn copy_floor(url: &str, count: usize) {
    let mut pg = postgres::Client::connect(url, postgres::NoTls).expect("connect BENCH_PGURL");
    let table = format!("bench_peers_floor_{}", std::process::id());
    pg.batch_execute(&format!("CREATE TABLE {table} (id bigint, payload bytea)"))
        .expect("create floor table");
    let value = payload(1024, 42);
    let start = Instant::now();
    copy_rows(&mut pg, &table, &value, count);
    let secs = start.elapsed().as_secs_f64();
    pg.batch_execute(&format!("DROP TABLE {table}"))
        .expect("drop floor table");
    let mut v = json!({
        "broker": "postgres", "client": "libpq", "scenario": "produce_1024B_acks_all",
        "msgs_per_s": rate(count, secs), "mb_per_s": mb_rate(count * 1024, secs),
        "p50_ms": null, "p99_ms": null, "rss_mb": null, "records": count,
        "method": "COPY FROM STDIN BINARY, one transaction",
    });
    v["note"] = json!("the Postgres floor: the same rows with no Kafka in between");
    emit(v);
}

fn run() {
    let n100 = scaled(1_000_000);
    let n1k = scaled(150_000);
    let past = scaled(600_000);
    let one = |size, count, compression| Produce {
        size,
        count,
        partitions: 1,
        producers: 1,
        compression,
    };
    // Warm-up, not reported: a JVM broker compiles its hot paths during the first hundred
    // thousand records, and every broker starts fresh.
    let warm = unique_topic("peers-warmup");
    create_topic(&warm, 1);
    let (msgs, _, _) = produce(&warm, &one(1024, scaled(200_000), "none"));
    eprintln!("{}: warm-up: {msgs} msg/s", broker());
    produce_scenario("produce_100B_acks_all", one(100, n100, "none"));
    let inside = produce_scenario("produce_1024B_acks_all", one(1024, n1k, "none"));
    if let Ok(url) = std::env::var("BENCH_PGURL") {
        copy_floor(&url, n1k);
    }
    // Read right after it was written: inside pg_kafka's log cache (256 MB by default).
    consume_scenario("consume_1024B_from_start", &inside, 1024, n1k);
    produce_scenario(
        "produce_1024B_acks_all_12p_4producers",
        Produce {
            size: 1024,
            count: n1k * 4,
            partitions: 12,
            producers: 4,
            compression: "none",
        },
    );
    produce_scenario("produce_1024B_lz4_acks_all", one(1024, n1k, "lz4"));
    // More than the log cache holds: the start of it is read from the tables.
    let big = produce_scenario("produce_1024B_acks_all_600k", one(1024, past, "none"));
    consume_scenario("consume_1024B_from_start_past_cache", &big, 1024, past);
    latency_scenario(500, 10);
    latency_scenario(5000, 10);
}

/// Stores `count` records of `size` bytes over `partitions` partitions of a new `topic`.
fn fill(topic: &str, count: usize, size: usize, partitions: i32) {
    create_topic(topic, partitions);
    let spec = Produce {
        size,
        count,
        partitions,
        producers: 1,
        compression: "none",
    };
    let (msgs, mb, failed) = produce(topic, &spec);
    eprintln!(
        "{}: filled {topic}: {count} x {size} B at {msgs} msg/s ({mb} MB/s), {failed} failed",
        broker()
    );
    assert_eq!(failed, 0, "records failed while filling {topic}");
}

/// Returns once a fetch of partition 0 of `topic` at `offset` (its last record) returns a record,
/// reconnecting every 100 ms while the broker is not up yet. Reading the tail measures the
/// restart, not how fast a broker scans a partition from its start; the offset is given rather
/// than looked up, since a broker's ListOffsets may be what fails (Tansu 0.6.0's does on
/// PostgreSQL 15).
fn first_fetch(topic: &str, offset: i64) {
    let c = reader(&[
        ("reconnect.backoff.ms", "20"),
        ("reconnect.backoff.max.ms", "100"),
        ("socket.connection.setup.timeout.ms", "1000"),
    ]);
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Offset(offset))
        .expect("tpl");
    c.assign(&tpl).expect("assign");
    let deadline = Instant::now() + Duration::from_secs(600);
    while Instant::now() < deadline {
        if let Some(Ok(_)) = c.poll(Duration::from_millis(20)) {
            return;
        }
    }
    panic!("no record from {topic} within 600 s");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    let num = |i: usize| -> usize { arg(i).parse().expect("a number") };
    match arg(0).as_str() {
        "run" => run(),
        "fill" => fill(&arg(1), num(2), num(3), num(4) as i32),
        "first-fetch" => first_fetch(&arg(1), num(2) as i64),
        "create" => create_topic(&arg(1), num(2) as i32),
        other => panic!("usage: bench_peers run | fill TOPIC N SIZE PARTITIONS | first-fetch TOPIC OFFSET | create TOPIC PARTITIONS (got {other:?})"),
    }
}
