//! The bench's `cleaner` group: how fast the log cleaner compacts, and what it costs producers.
//!
//! `cleaner_full_pass`: a compacted topic holding ten versions of each key; one full pass
//! (`kafka.run_cleaner()`), with MB/s examined (batches read and decoded) and rewritten (stored
//! bytes of the batches rebuilt or removed), kafka.batches' heap and TOAST sizes before the pass,
//! after it, after VACUUM (at autovacuum's default throttle) and after producing as much again,
//! and how fast VACUUM frees what a pass deleted at autovacuum's default throttle (cost limit
//! 200) and at the one pg_kafka sets on kafka.batches (2000). `cleaner_produce_latency`: an ordinary producer
//! (one 1 KiB acks=all record every 20 ms, `abuse::Probe`) while a background producer updates
//! every key once a second (10 MB/s), first without the cleaner, then with full passes back to
//! back beside it; the same run, the same load. Measures, never asserts.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::abuse::Probe;
use crate::*;

const KEYS: usize = 10_000;
const VALUE: usize = 1024;

#[derive(Default, Clone, Copy)]
struct Pass {
    passes: u64,
    examined: i64,
    removed: i64,
    rewritten_from: i64,
    millis: i64,
}

fn run_cleaner(pg: &mut postgres::Client, into: &mut Pass) {
    let row = pg
        .query_one(
            "SELECT bytes_examined, bytes_removed, rewritten_bytes_before, duration_ms, errors \
             FROM kafka.run_cleaner()",
            &[],
        )
        .expect("run_cleaner");
    into.passes += 1;
    into.examined += row.get::<_, i64>(0);
    into.removed += row.get::<_, i64>(1);
    into.rewritten_from += row.get::<_, i64>(2);
    into.millis += row.get::<_, i64>(3);
    let errors: i64 = row.get(4);
    if errors > 0 {
        eprintln!("cleaner bench: a pass reported {errors} errors");
    }
}

/// One update of every key.
fn round(p: &BaseProducer<Collector>, topic: &str, n: usize) {
    let mut value = vec![b'v'; VALUE];
    let recs: Vec<Rec> = (0..KEYS)
        .map(|k| {
            value[..8].copy_from_slice(&(n as u64).to_be_bytes());
            Rec {
                partition: Some(0),
                ..Rec::kv(format!("key-{k:05}").as_bytes(), &value)
            }
        })
        .collect();
    produce_all(p, topic, &recs);
}

/// kafka.batches' heap and TOAST sizes, MB.
fn sizes(pg: &mut postgres::Client) -> serde_json::Value {
    let row = pg
        .query_one(
            "SELECT pg_relation_size('kafka.batches'::regclass)::float8 / 1e6, \
                    pg_relation_size(reltoastrelid)::float8 / 1e6 \
               FROM pg_class WHERE oid = 'kafka.batches'::regclass",
            &[],
        )
        .expect("sizes");
    let round1 = |x: f64| (x * 10.0).round() / 10.0;
    json!({"heap": round1(row.get(0)), "toast": round1(row.get(1))})
}

/// VACUUM kafka.batches (and its TOAST table) after `settings`; how long it took, ms.
fn vacuum(pg: &mut postgres::Client, settings: &str) -> i64 {
    pg.batch_execute(settings).expect("vacuum settings");
    let t0 = Instant::now();
    pg.batch_execute("VACUUM kafka.batches").expect("vacuum");
    let ms = t0.elapsed().as_millis() as i64;
    pg.batch_execute("RESET vacuum_cost_delay; RESET vacuum_cost_limit")
        .expect("reset");
    ms
}

fn mb_per_s(bytes: i64, millis: i64) -> f64 {
    if millis <= 0 {
        return 0.0;
    }
    (bytes as f64 / 1e6 / (millis as f64 / 1000.0) * 10.0).round() / 10.0
}

fn percentiles(l: Result<Vec<u64>, String>) -> (f64, f64, usize) {
    let mut l = l.unwrap_or_default();
    l.sort_unstable();
    let at = |p: f64| {
        if l.is_empty() {
            return 0.0;
        }
        let i = ((l.len() - 1) as f64 * p).round() as usize;
        (l[i] as f64 / 10.0).round() / 100.0
    };
    (at(0.5), at(0.99), l.len())
}

/// `rounds`: versions of each key before the full pass; `seconds`: each latency window.
pub fn run(rounds: usize, seconds: u64) {
    let topic = unique_topic("bench-cleaner");
    let admin: rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext> =
        base_config().create().expect("admin");
    let new = rdkafka::admin::NewTopic::new(&topic, 1, rdkafka::admin::TopicReplication::Fixed(1))
        .set("cleanup.policy", "compact");
    block_on(admin.create_topics(&[new], &rdkafka::admin::AdminOptions::new()))
        .expect("create topic");
    let p = producer(&[("linger.ms", "5")]);
    eprintln!("cleaner bench: {rounds} versions of {KEYS} keys x {VALUE} B");
    for n in 0..rounds {
        round(&p, &topic, n);
    }
    produce_all(
        &p,
        &topic,
        &[Rec {
            partition: Some(0),
            ..Rec::kv(b"filler", b"x")
        }],
    );

    let mut pg = pg_client();
    let before = sizes(&mut pg);
    let mut full = Pass::default();
    run_cleaner(&mut pg, &mut full);
    let after_pass = sizes(&mut pg);
    // Autovacuum's default throttle (cost limit 200, delay 2 ms), then the same volume again:
    // what VACUUM freed is reused, so the files do not grow.
    let throttled_ms = vacuum(
        &mut pg,
        "SET vacuum_cost_delay = '2ms'; SET vacuum_cost_limit = 200",
    );
    let after_vacuum = sizes(&mut pg);
    for n in 0..rounds {
        round(&p, &topic, 100 + n);
    }
    let after_refill = sizes(&mut pg);
    let mut second = Pass::default();
    run_cleaner(&mut pg, &mut second);
    // The throttle pg_kafka sets on kafka.batches and its TOAST table (schema.sql).
    let toast_mb = sizes(&mut pg)["toast"].as_f64().unwrap_or(0.0);
    let raised_ms = vacuum(
        &mut pg,
        "SET vacuum_cost_delay = '2ms'; SET vacuum_cost_limit = 2000",
    );
    println!(
        "{}",
        json!({
            "scenario": "cleaner_full_pass",
            "records": rounds * KEYS,
            "keys": KEYS,
            "stored_mb_before": (rounds * KEYS * VALUE) as f64 / 1e6,
            "duration_ms": full.millis,
            "examined_mb_per_s": mb_per_s(full.examined, full.millis),
            "rewritten_mb_per_s": mb_per_s(full.removed + full.rewritten_from, full.millis),
            "bytes_examined": full.examined,
            "bytes_removed": full.removed,
            "batches_table_and_toast_mb": {
                "before_pass": before, "after_pass": after_pass,
                "after_vacuum": after_vacuum, "after_producing_as_much_again": after_refill,
            },
            "vacuum_default_throttle_ms": throttled_ms,
            "vacuum_default_throttle_removed_mb_per_s": mb_per_s(full.removed, throttled_ms),
            "vacuum_cost_limit_2000_ms": raised_ms,
            "vacuum_cost_limit_2000_removed_mb_per_s": mb_per_s(second.removed, raised_ms),
            "toast_mb_at_second_vacuum": toast_mb,
        })
    );

    // The same paced load in both windows: one update of every key per second (10 MB/s);
    // with the cleaner, passes run back to back on their own connection meanwhile.
    let window = |with_cleaner: bool| {
        let stop = Arc::new(AtomicBool::new(false));
        let (bg_topic, bg_stop) = (topic.clone(), stop.clone());
        let background = std::thread::spawn(move || {
            let p = producer(&[("linger.ms", "5")]);
            let mut n = 1_000;
            let t0 = Instant::now();
            while !bg_stop.load(Ordering::Relaxed) {
                round(&p, &bg_topic, n);
                n += 1;
                let due = t0 + Duration::from_secs((n - 1_000) as u64);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
            }
            n - 1_000
        });
        let cleaner_stop = stop.clone();
        let cleaner = std::thread::spawn(move || {
            let mut pass = Pass::default();
            if with_cleaner {
                let mut pg = pg_client();
                while !cleaner_stop.load(Ordering::Relaxed) {
                    run_cleaner(&mut pg, &mut pass);
                }
            }
            pass
        });
        let probe = Probe::start(&format!("bench-cleaner-probe-{with_cleaner}"));
        std::thread::sleep(Duration::from_secs(seconds));
        let latencies = probe.finish();
        stop.store(true, Ordering::Relaxed);
        let rounds = background.join().expect("background");
        let pass = cleaner.join().expect("cleaner");
        (percentiles(latencies), pass, rounds)
    };
    let ((p50_without, p99_without, n_without), _, rounds_without) = window(false);
    let ((p50_with, p99_with, n_with), pass, rounds_with) = window(true);
    println!(
        "{}",
        json!({
            "scenario": "cleaner_produce_latency",
            "seconds_each": seconds,
            "without_cleaner": {"p50_ms": p50_without, "p99_ms": p99_without,
                                "produces": n_without, "update_rounds": rounds_without},
            "with_cleaner": {"p50_ms": p50_with, "p99_ms": p99_with, "produces": n_with,
                             "update_rounds": rounds_with, "passes": pass.passes,
                             "examined_mb_per_s": mb_per_s(pass.examined, pass.millis),
                             "rewritten_mb_per_s": mb_per_s(pass.removed + pass.rewritten_from, pass.millis)},
        })
    );
}

/// `cleaner_sustained_retention`: producers at up to `rate` records/s of 1 KiB for `seconds` to
/// a topic with retention.ms = `retention_s` s, the cleaner checking every second and autovacuum
/// left to itself (kafka.batches' own settings). If DELETE plus VACUUM keep up, kafka.batches'
/// TOAST size levels off near what `retention_s` seconds of records take; if not, it grows for
/// the whole run. Samples every five seconds.
pub fn sustained(rate: u64, seconds: u64, retention_s: u64) {
    let topic = unique_topic("bench-sustained");
    let admin: rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext> =
        base_config().create().expect("admin");
    let retention_ms = (retention_s * 1000).to_string();
    let new = rdkafka::admin::NewTopic::new(&topic, 4, rdkafka::admin::TopicReplication::Fixed(1))
        .set("retention.ms", &retention_ms);
    block_on(admin.create_topics(&[new], &rdkafka::admin::AdminOptions::new()))
        .expect("create topic");
    let mut pg = pg_client();
    pg.batch_execute("ALTER SYSTEM SET pg_kafka.log_retention_check_interval = '1s'")
        .expect("interval");
    pg.batch_execute("SELECT pg_reload_conf()").expect("reload");

    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let (p_topic, p_stop, p_sent) = (topic.clone(), stop.clone(), sent.clone());
    let producer_thread = std::thread::spawn(move || {
        let p = producer(&[("linger.ms", "5"), ("batch.size", "1000000")]);
        let value = vec![b'r'; VALUE];
        let t0 = Instant::now();
        let mut n: u64 = 0;
        while !p_stop.load(Ordering::Relaxed) {
            // Paced in slices of 10 ms.
            let due = t0 + Duration::from_micros(n * 1_000_000 / rate.max(1));
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            let key = (n % 100_000).to_be_bytes();
            let rec: rdkafka::producer::BaseRecord<'_, [u8], [u8], Box<usize>> =
                rdkafka::producer::BaseRecord::with_opaque_to(&p_topic, Box::new(0))
                    .key(&key[..])
                    .payload(&value[..]);
            match p.send(rec) {
                Ok(()) => n += 1,
                Err(_) => {
                    p.poll(Duration::from_millis(1));
                }
            }
            p.poll(Duration::ZERO);
        }
        drain(&p, Duration::from_secs(60));
        p_sent.store(n, Ordering::Relaxed);
    });

    let sample = |pg: &mut postgres::Client| -> (f64, i64, i64) {
        let row = pg
            .query_one(
                "SELECT pg_relation_size(c.reltoastrelid)::float8 / 1e6, \
                        coalesce(s.autovacuum_count, 0), coalesce(s.n_dead_tup, 0) \
                   FROM pg_class c LEFT JOIN pg_stat_all_tables s ON s.relid = c.reltoastrelid \
                  WHERE c.oid = 'kafka.batches'::regclass",
                &[],
            )
            .expect("sample");
        (row.get(0), row.get(1), row.get(2))
    };
    let (start_mb, start_vacuums, _) = sample(&mut pg);
    let mut samples = Vec::new();
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(seconds) {
        std::thread::sleep(Duration::from_secs(5));
        let (mb, vacuums, dead) = sample(&mut pg);
        samples.push(json!({
            "s": t0.elapsed().as_secs(), "toast_mb": (mb * 10.0).round() / 10.0,
            "toast_autovacuums": vacuums - start_vacuums, "toast_dead_tuples": dead,
        }));
    }
    stop.store(true, Ordering::Relaxed);
    producer_thread.join().expect("producer");
    let elapsed = t0.elapsed().as_secs_f64();
    pg.batch_execute("ALTER SYSTEM RESET pg_kafka.log_retention_check_interval")
        .expect("reset");
    pg.batch_execute("SELECT pg_reload_conf()").expect("reload");
    let records = sent.load(Ordering::Relaxed);
    println!(
        "{}",
        json!({
            "scenario": "cleaner_sustained_retention",
            "target_records_per_s": rate,
            "records_per_s": (records as f64 / elapsed).round(),
            "record_bytes": VALUE,
            "seconds": seconds,
            "retention_s": retention_s,
            "toast_mb_at_start": (start_mb * 10.0).round() / 10.0,
            "samples": samples,
        })
    );
}
