//! Time limits, on the spare cluster started with short ones (request_timeout_ms 2 s,
//! connections_max_idle_ms 3 s): an idle connection is closed, a frame that stops arriving
//! closes its connection, a long poll asking to wait for ever is answered within the request
//! timeout, and a connection that keeps talking is never closed for being idle.
//!
//! Waits are hang guards (20 s reads), never measurements.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use kafka_protocol::messages::ApiKey;
use pg_kafka_tests::raw::{self, Outcome};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set (make blackbox sets it)"))
}

fn spare(cmd: &str, extra_conf: &str) {
    let status = Command::new("bash")
        .arg(env("PG_KAFKA_CLUSTER_SCRIPT"))
        .arg(cmd)
        .env("PGDATA", env("PG_KAFKA_SPARE_PGDATA"))
        .env("PGPORT", env("PG_KAFKA_SPARE_PGPORT"))
        .env("PG_KAFKA_PORT", env("PG_KAFKA_SPARE_KAFKA_PORT"))
        .env("PG_KAFKA_EXTRA_CONF", extra_conf)
        .status()
        .expect("run cluster.sh");
    assert!(status.success(), "cluster.sh {cmd} for the spare cluster");
}

fn connect() -> TcpStream {
    let addr = format!("127.0.0.1:{}", env("PG_KAFKA_SPARE_KAFKA_PORT"));
    let s = TcpStream::connect(&addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(20))).unwrap();
    s
}

fn api_versions(s: &mut TcpStream, cid: i32) -> bool {
    let req = raw::request(ApiKey::ApiVersions as i16, 0, cid, &[]);
    matches!(raw::send_and_read(s, &req), Outcome::Response(r) if raw::split_v0(&r).0 == cid)
}

/// Read until the broker closes the connection (or the hang guard fires).
fn closed_by_broker(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

#[test]
fn idle_stalled_and_endless_requests_meet_their_time_limits() {
    spare("stop", "");
    let _ = std::fs::remove_dir_all(env("PG_KAFKA_SPARE_PGDATA"));
    spare(
        "start",
        "pg_kafka.request_timeout_ms = 2000\npg_kafka.connections_max_idle_ms = 3000",
    );

    // Idle after one request: closed.
    let mut idle = connect();
    assert!(api_versions(&mut idle, 1));
    assert!(closed_by_broker(&mut idle), "an idle connection stays open");

    // Half a frame, then nothing: closed.
    let mut stalled = connect();
    let req = raw::request(ApiKey::ApiVersions as i16, 0, 2, &[]);
    stalled.write_all(&req[..req.len() - 3]).unwrap();
    assert!(
        closed_by_broker(&mut stalled),
        "a stalled frame keeps its connection"
    );

    // A long poll that asks to wait for ever on a topic with no data: answered (empty).
    let mut poll = connect();
    let topic = "timeouts-poll";
    let mut meta = Vec::new();
    meta.extend_from_slice(&1i32.to_be_bytes());
    meta.extend_from_slice(&(topic.len() as i16).to_be_bytes());
    meta.extend_from_slice(topic.as_bytes());
    let created = raw::send_and_read(
        &mut poll,
        &raw::request(ApiKey::Metadata as i16, 1, 3, &meta),
    );
    assert!(
        matches!(created, Outcome::Response(_)),
        "Metadata auto-creates the topic"
    );
    let mut body = Vec::new();
    body.extend_from_slice(&(-1i32).to_be_bytes());
    body.extend_from_slice(&i32::MAX.to_be_bytes()); // max_wait_ms
    body.extend_from_slice(&1i32.to_be_bytes()); // min_bytes
    body.extend_from_slice(&(1i32 << 20).to_be_bytes());
    body.push(0);
    body.extend_from_slice(&1i32.to_be_bytes());
    body.extend_from_slice(&(topic.len() as i16).to_be_bytes());
    body.extend_from_slice(topic.as_bytes());
    body.extend_from_slice(&1i32.to_be_bytes());
    body.extend_from_slice(&0i32.to_be_bytes());
    body.extend_from_slice(&0i64.to_be_bytes());
    body.extend_from_slice(&(1i32 << 20).to_be_bytes());
    let sent = Instant::now();
    let answer = raw::send_and_read(&mut poll, &raw::request(ApiKey::Fetch as i16, 4, 4, &body));
    assert!(
        matches!(answer, Outcome::Response(ref r) if raw::split_v0(r).0 == 4),
        "the endless long poll got no answer: {answer:?}"
    );
    println!(
        "long poll asking for i32::MAX ms answered after {:?}",
        sent.elapsed()
    );

    // A connection that keeps talking outlives the idle limit.
    let mut busy = connect();
    for i in 0..8 {
        assert!(
            api_versions(&mut busy, 10 + i),
            "request {i} of a busy connection"
        );
        std::thread::sleep(Duration::from_secs(1));
    }
    spare("stop", "");
    spare("check-log", "");
}
