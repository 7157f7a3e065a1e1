//! Hostile and careless clients, each next to an ordinary client whose produce and fetch must
//! still succeed: the broker stays up (same worker PID, no crash in the server log) and its
//! memory stays within `log_cache_size + 2 * max_inflight_bytes + 128 MB`.
//!
//! Sizes are scaled down for `make test`; `make abuse` sets PG_KAFKA_ABUSE_FULL=1 and runs them
//! at the sizes of the cases reported against the broker (a 2,000-partition topic named 5,000
//! times, 95 MB produces, ...). Figures (peak RSS) are printed, never asserted as timings.

use std::time::Duration;

use pg_kafka_tests::abuse::{self, rss_bound_kib, worker_pid, Peak};
use pg_kafka_tests::groups::create_topic;
use pg_kafka_tests::raw::{self, connect};
use pg_kafka_tests::*;

fn full() -> bool {
    std::env::var("PG_KAFKA_ABUSE_FULL").is_ok_and(|v| v == "1")
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
        ("message.timeout.ms", "120000"),
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

#[test]
fn a_metadata_request_naming_one_topic_thousands_of_times_is_answered_once() {
    let (partitions, repeats): (i32, i32) = if full() { (2000, 5000) } else { (500, 5000) };
    let topic = unique_topic("abuse-meta");
    create_topic(&topic, partitions);
    let pid = worker_pid();
    let peak = Peak::start(pid);
    let other = std::thread::spawn(|| ordinary_client("abuse-meta-ordinary"));
    let (req, resp, topics, parts) = abuse::metadata_flood(&topic, repeats);
    assert_eq!(topics, 1, "the topic once, however often it was named");
    assert_eq!(parts, partitions as usize);
    other.join().expect("ordinary client");
    let peak = peak.finish();
    println!(
        "metadata: {repeats} names of a {partitions}-partition topic in {req} bytes, answer {resp} bytes, peak worker memory {} KiB private, {} KiB resident (bound {} KiB private)",
        peak.anon,
        peak.rss,
        rss_bound_kib()
    );
    assert!(
        peak.anon <= rss_bound_kib(),
        "peak private memory {peak:?} KiB"
    );
    survived(pid);
}

#[test]
fn frames_that_only_announce_100_mib_do_not_hold_up_an_ordinary_produce() {
    let pid = worker_pid();
    let held = abuse::announce_frames(8, 100 << 20);
    std::thread::sleep(Duration::from_millis(300));
    ordinary_client("abuse-prefix");
    ordinary_client("abuse-prefix-again");
    drop(held);
    survived(pid);
}

#[test]
fn abandoned_long_polls_free_their_connection_slots() {
    let topic = unique_topic("abuse-poll");
    produce_all(&producer(&[]), &topic, &[Rec::kv(b"k", b"v")]);
    let pid = worker_pid();
    // More than the broker's connection cap: each slot must be free once its client is gone.
    abuse::abandoned_long_polls(1100, &topic, 1);
    // The slots come free as the broker notices each close; a loaded machine may take a while.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    for i in 0..50 {
        while !limits_served(&mut connect(), i) {
            assert!(
                std::time::Instant::now() < deadline,
                "connection {i} still refused after the abandoned polls"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    ordinary_client("abuse-poll-ordinary");
    survived(pid);
}

fn limits_served(s: &mut std::net::TcpStream, cid: i32) -> bool {
    use kafka_protocol::messages::ApiKey;
    let req = raw::request(ApiKey::ApiVersions as i16, 0, cid, &[]);
    matches!(raw::send_and_read(s, &req), raw::Outcome::Response(r) if raw::split_v0(&r).0 == cid)
}

#[test]
fn pipelined_large_produces_stay_within_the_memory_bound() {
    let size: usize = if full() { 95 << 20 } else { 20 << 20 };
    let topic = unique_topic("abuse-big");
    abuse::create_large_topic(&topic);
    let pid = worker_pid();
    let peak = Peak::start(pid);
    let other = std::thread::spawn(|| ordinary_client("abuse-big-ordinary"));
    let codes = abuse::pipelined_produces(&topic, size, 2, 3);
    other.join().expect("ordinary client");
    assert_eq!(codes, vec![0; 6], "every produce lands");
    let peak = peak.finish();
    println!(
        "6 pipelined produces of {} MB on 2 connections: peak worker memory {} KiB private, {} KiB resident (bound {} KiB private)",
        size >> 20,
        peak.anon,
        peak.rss,
        rss_bound_kib()
    );
    assert_eq!(watermarks(&topic, 0).1, 6);
    assert!(
        peak.anon <= rss_bound_kib(),
        "peak private memory {peak:?} KiB over the bound"
    );
    survived(pid);
}

#[test]
fn a_large_batch_on_each_of_many_partitions_stays_within_the_log_cache() {
    let partitions = if full() { 2000 } else { 320 };
    let topic = unique_topic("abuse-wide");
    let pid = worker_pid();
    let peak = Peak::start(pid);
    let other = std::thread::spawn(|| ordinary_client("abuse-wide-ordinary"));
    let produced = abuse::large_batch_on_every_partition(&topic, partitions);
    other.join().expect("ordinary client");
    let peak = peak.finish();
    let cached = abuse::cached_bytes();
    let cache = abuse::setting_bytes("pg_kafka.log_cache_size");
    println!(
        "{partitions} partitions with a 900 KB batch each ({produced} bytes): {cached} bytes cached (log_cache_size {cache}), peak worker memory {} KiB private, {} KiB resident (bound {} KiB private)",
        peak.anon,
        peak.rss,
        rss_bound_kib()
    );
    assert!(cached <= cache, "the cache holds {cached} bytes");
    assert!(
        peak.anon <= rss_bound_kib(),
        "peak private memory {peak:?} KiB"
    );
    for p in [0, partitions / 2, partitions - 1] {
        assert_eq!(watermarks(&topic, p), (0, 1), "partition {p}");
        let got = consume(&topic, p, 0, 1);
        assert_eq!(got[0].value.as_ref().map(Vec::len), Some(900_000));
    }
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
