//! Hostile and careless clients, each next to an ordinary client whose produce and fetch must
//! still succeed: the broker stays up (same worker PID, no crash in the server log) and its
//! memory stays within `log_cache_size + 2 * max_inflight_bytes + 128 MB`.
//!
//! Sizes are scaled down for `make test`; `make abuse` sets PG_KAFKA_ABUSE_FULL=1 and runs them
//! at the sizes of the cases reported against the broker (a 2,000-partition topic named 5,000
//! times, 95 MB produces, ...). Figures (peak RSS) are printed, never asserted as timings.

mod limits_common;

use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::messages::{ApiKey, MetadataResponse};
use kafka_protocol::protocol::Decodable;
use limits_common::{rss_kib, worker_pid};
use pg_kafka_tests::groups::create_topic;
use pg_kafka_tests::raw::{self, connect, Outcome};
use pg_kafka_tests::*;

fn full() -> bool {
    std::env::var("PG_KAFKA_ABUSE_FULL").is_ok_and(|v| v == "1")
}

fn setting_bytes(name: &str) -> u64 {
    pg_client()
        .query_one(
            "SELECT pg_size_bytes(current_setting($1) || CASE WHEN current_setting($1) ~ '^[0-9]+$' THEN 'kB' ELSE '' END)",
            &[&name],
        )
        .map(|r| r.get::<_, i64>(0) as u64)
        .unwrap_or_else(|e| panic!("read {name}: {e}"))
}

/// The memory the worker may use whatever clients do.
fn rss_bound_kib() -> u64 {
    let cache = setting_bytes("pg_kafka.log_cache_size");
    let inflight = setting_bytes("pg_kafka.max_inflight_bytes");
    (cache + 2 * inflight + (128 << 20)) >> 10
}

/// Samples the worker's RSS every 20 ms until dropped; `peak()` is the highest seen.
struct Peak {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Peak {
    fn start(pid: i32) -> Peak {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(rss_kib(pid)));
        let (s, p) = (stop.clone(), peak.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(rss_kib(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Peak {
            stop,
            peak,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.peak.load(Ordering::Relaxed)
    }
}

/// An ordinary client: a 200 KiB record produced and read back (delivery and fetch time out as
/// hang guards, never as a measure).
fn ordinary_client(prefix: &str) {
    let topic = unique_topic(prefix);
    let value = vec![0x5a; 200 << 10];
    let rec = Rec {
        partition: Some(0),
        value: Some(value.clone()),
        ..Rec::default()
    };
    let p = producer(&[
        ("message.timeout.ms", "20000"),
        ("message.max.bytes", "2000000"),
    ]);
    assert_eq!(produce_all(&p, &topic, &[rec]), vec![(0, 0)]);
    let got = consume(&topic, 0, 0, 1);
    assert_eq!(got[0].value.as_deref(), Some(&value[..]));
}

/// The worker is the one that was there before, and the server log shows no crash.
fn survived(pid: i32) {
    assert_eq!(worker_pid(), pid, "the worker restarted");
    if let Ok(path) = std::env::var("PG_KAFKA_SERVER_LOG") {
        let log = std::fs::read_to_string(&path).unwrap_or_default();
        for bad in [
            "terminated by signal",
            "was terminated",
            "PANIC",
            "out of memory",
        ] {
            assert!(!log.contains(bad), "server log {path} shows {bad:?}");
        }
    }
    raw::assert_broker_alive();
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as i16).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

#[test]
fn a_metadata_request_naming_one_topic_thousands_of_times_is_answered_once() {
    let (partitions, repeats): (i32, i32) = if full() { (2000, 5000) } else { (500, 5000) };
    let topic = unique_topic("abuse-meta");
    create_topic(&topic, partitions);
    let pid = worker_pid();
    let peak = Peak::start(pid);
    let mut body = Vec::new();
    body.extend_from_slice(&repeats.to_be_bytes());
    for _ in 0..repeats {
        put_str(&mut body, &topic);
    }
    body.push(0); // allow_auto_topic_creation
    let mut s = connect();
    let req = raw::request(ApiKey::Metadata as i16, 4, 77, &body);
    println!("Metadata v4 request: {} bytes", req.len());
    let other = std::thread::spawn(|| ordinary_client("abuse-meta-ordinary"));
    let resp = match raw::send_and_read(&mut s, &req) {
        Outcome::Response(r) => r,
        other => panic!("no Metadata answer: {other:?}"),
    };
    let (cid, mut rest) = raw::split_v0(&resp);
    assert_eq!(cid, 77);
    let m = MetadataResponse::decode(&mut rest, 4).expect("decode Metadata v4");
    assert_eq!(
        m.topics.len(),
        1,
        "the topic once, however often it was named"
    );
    assert_eq!(m.topics[0].partitions.len(), partitions as usize);
    other.join().expect("ordinary client");
    let peak = peak.finish();
    println!(
        "metadata: {repeats} names of a {partitions}-partition topic, response {} bytes, peak worker RSS {peak} KiB (bound {} KiB)",
        resp.len(),
        rss_bound_kib()
    );
    assert!(peak <= rss_bound_kib(), "peak RSS {peak} KiB");
    survived(pid);
}

#[test]
fn frames_that_only_announce_100_mib_do_not_hold_up_an_ordinary_produce() {
    let pid = worker_pid();
    let mut held: Vec<TcpStream> = (0..8)
        .map(|_| {
            let mut s = connect();
            s.write_all(&(100i32 << 20).to_be_bytes())
                .expect("size prefix");
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    ordinary_client("abuse-prefix");
    for s in &mut held {
        let _ = s.write_all(&[0, 0]); // still only a few bytes
    }
    ordinary_client("abuse-prefix-again");
    drop(held);
    survived(pid);
}

#[test]
fn abandoned_long_polls_free_their_connection_slots() {
    let topic = unique_topic("abuse-poll");
    let p = producer(&[]);
    produce_all(&p, &topic, &[Rec::kv(b"k", b"v")]);
    let pid = worker_pid();
    // A Fetch v4 at the log end that would wait for ever, sent and abandoned 1,100 times: more
    // than the broker's connection cap.
    let mut body = Vec::new();
    body.extend_from_slice(&(-1i32).to_be_bytes()); // replica_id
    body.extend_from_slice(&i32::MAX.to_be_bytes()); // max_wait_ms
    body.extend_from_slice(&1i32.to_be_bytes()); // min_bytes
    body.extend_from_slice(&(1i32 << 20).to_be_bytes()); // max_bytes
    body.push(0); // isolation_level
    body.extend_from_slice(&1i32.to_be_bytes()); // topics
    put_str(&mut body, &topic);
    body.extend_from_slice(&1i32.to_be_bytes()); // partitions
    body.extend_from_slice(&0i32.to_be_bytes()); // partition
    body.extend_from_slice(&1i64.to_be_bytes()); // fetch_offset: the log end
    body.extend_from_slice(&(1i32 << 20).to_be_bytes()); // partition_max_bytes
    let req = raw::request(ApiKey::Fetch as i16, 4, 9, &body);
    for i in 0..1100 {
        let mut s = connect();
        s.write_all(&req)
            .unwrap_or_else(|e| panic!("long poll {i}: {e}"));
        drop(s);
    }
    std::thread::sleep(Duration::from_millis(500));
    // New clients are served at once, not after the polls would have expired.
    for i in 0..50 {
        let mut s = connect();
        assert!(
            limits_common::served(&mut s, i),
            "connection {i} after the polls"
        );
    }
    ordinary_client("abuse-poll-ordinary");
    survived(pid);
}

#[test]
fn pipelined_large_produces_stay_within_the_memory_bound() {
    let size: usize = if full() { 95 << 20 } else { 20 << 20 };
    let topic = unique_topic("abuse-big");
    {
        use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
        let admin: AdminClient<rdkafka::client::DefaultClientContext> =
            base_config().create().expect("admin");
        let t = NewTopic::new(&topic, 1, TopicReplication::Fixed(1))
            .set("max.message.bytes", "104857600");
        for r in block_on(admin.create_topics(&[t], &AdminOptions::new())).expect("create") {
            r.unwrap_or_else(|(t, e)| panic!("create {t}: {e}"));
        }
    }
    let pid = worker_pid();
    let peak = Peak::start(pid);
    let value = vec![0x42u8; size - 1024];
    let records = batch::simple_batch(&[(&b"big"[..], &value[..])], now_ms());
    let body = raw::produce_v3_body(&topic, 0, -1, &records);
    let senders: Vec<_> = (0..2)
        .map(|c| {
            let body = body.clone();
            std::thread::spawn(move || {
                let mut s = connect();
                s.set_read_timeout(Some(Duration::from_secs(300))).unwrap();
                s.set_write_timeout(Some(Duration::from_secs(300))).unwrap();
                let mut reader = s.try_clone().expect("clone");
                let writer = std::thread::spawn(move || {
                    for i in 0..3 {
                        let req = raw::request(ApiKey::Produce as i16, 3, c * 10 + i, &body);
                        s.write_all(&req).expect("send a large produce");
                    }
                    s
                });
                let codes: Vec<i16> = (0..3)
                    .map(|_| match raw::read_frame(&mut reader) {
                        Outcome::Response(r) => raw::produce_v3_error_codes(&r)[0],
                        other => panic!("large produce: {other:?}"),
                    })
                    .collect();
                drop(writer.join());
                codes
            })
        })
        .collect();
    ordinary_client("abuse-big-ordinary");
    for s in senders {
        assert_eq!(
            s.join().expect("sender"),
            vec![0, 0, 0],
            "every produce lands"
        );
    }
    let peak = peak.finish();
    println!(
        "6 pipelined produces of {} MB on 2 connections: peak worker RSS {peak} KiB (bound {} KiB)",
        size >> 20,
        rss_bound_kib()
    );
    assert_eq!(watermarks(&topic, 0).1, 6);
    assert!(
        peak <= rss_bound_kib(),
        "peak RSS {peak} KiB over the bound"
    );
    survived(pid);
}

#[test]
fn check_consistency_sees_tables_that_differ_from_memory() {
    let topic = unique_topic("abuse-consistency");
    produce_all(&producer(&[]), &topic, &[Rec::kv(b"k", b"v")]);
    let mut pg = pg_client();
    let differences = |pg: &mut postgres::Client| -> Vec<(String, String)> {
        pg.query(
            "SELECT topic, what FROM kafka.check_consistency() WHERE topic = $1",
            &[&topic],
        )
        .expect("check_consistency")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
    };
    assert!(differences(&mut pg).is_empty());
    // Moved behind the worker's back (never do this): the check must see it.
    let mut tx = pg.transaction().expect("begin");
    tx.execute(
        "UPDATE kafka.partitions p SET next_offset = next_offset + 5 FROM kafka.topics t
          WHERE t.topic_id = p.topic_id AND t.name = $1",
        &[&topic],
    )
    .expect("tamper");
    let seen: Vec<String> = tx
        .query(
            "SELECT what FROM kafka.check_consistency() WHERE topic = $1",
            &[&topic],
        )
        .expect("check_consistency")
        .iter()
        .map(|r| r.get(0))
        .collect();
    tx.rollback().expect("undo");
    assert_eq!(seen, vec!["high_watermark".to_string()]);
    assert!(differences(&mut pg).is_empty(), "consistent again");
}
