//! Helpers shared by the hostile-limit tests (limits_*.rs): the worker's PID and resident memory,
//! and a quick "does this connection get an answer" probe.
//!
//! The worker runs on the same machine as the tests (the Makefile's test cluster), so its memory
//! is read from /proc. Tests print RSS figures; they never assert timing.

#![allow(dead_code)]

use std::net::TcpStream;

use kafka_protocol::messages::ApiKey;
use pg_kafka_tests::pg_client;
use pg_kafka_tests::raw::{self, Outcome};

/// PID of the pg_kafka background worker.
pub fn worker_pid() -> i32 {
    let row = pg_client()
        .query_one(
            "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_kafka'",
            &[],
        )
        .expect("the pg_kafka worker is in pg_stat_activity");
    row.get(0)
}

/// VmRSS of `pid` in KiB.
pub fn rss_kib(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("read /proc/{pid}/status: {e}"));
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS in /proc/<pid>/status")
}

/// Sends ApiVersions v0 and reads the answer.
pub fn api_versions(s: &mut TcpStream, correlation_id: i32) -> Outcome {
    raw::send_and_read(
        s,
        &raw::request(ApiKey::ApiVersions as i16, 0, correlation_id, &[]),
    )
}

/// True when `s` gets a correct ApiVersions answer.
pub fn served(s: &mut TcpStream, correlation_id: i32) -> bool {
    match api_versions(s, correlation_id) {
        Outcome::Response(r) => raw::split_v0(&r).0 == correlation_id,
        _ => false,
    }
}

/// Produce a few records and read them back with rdkafka: the broker does real work.
pub fn produce_and_consume(prefix: &str) {
    use pg_kafka_tests::*;
    let topic = unique_topic(prefix);
    let recs: Vec<Rec> = (0..20u32)
        .map(|i| Rec {
            partition: Some(0),
            value: Some(format!("v{i}").into_bytes()),
            ..Rec::default()
        })
        .collect();
    let offsets = produce_all(&producer(&[]), &topic, &recs);
    assert_eq!(offsets, (0..20).map(|o| (0, o)).collect::<Vec<_>>());
    let got = consume(&topic, 0, 0, 20);
    for (i, g) in got.iter().enumerate() {
        assert_eq!(g.value.as_deref(), Some(format!("v{i}").as_bytes()));
    }
}
