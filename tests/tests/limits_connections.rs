//! Connection churn and idle connections: 10,000 connections opened and dropped leave the broker
//! serving; with many idle connections held, a client still produces and consumes.

mod limits_common;

use std::net::TcpStream;
use std::time::Duration;

use limits_common::{produce_and_consume, rss_kib, served, worker_pid};
use pg_kafka_tests::raw::{self, connect};
use pg_kafka_tests::*;

#[test]
fn ten_thousand_connections_opened_and_dropped_leave_the_broker_serving() {
    let pid = worker_pid();
    let before = rss_kib(pid);
    for i in 0..10_000 {
        let mut s = connect();
        // Every tenth connection sends a request and reads the answer before dropping; the rest
        // drop at once, some before the broker accepted them.
        if i % 10 == 0 {
            assert!(served(&mut s, i), "connection {i} not served");
        }
    }
    println!(
        "worker RSS before 10,000 connections {before} KiB, after {} KiB",
        rss_kib(pid)
    );
    raw::assert_broker_alive();
    produce_and_consume("limits-churn");
}

#[test]
fn a_client_produces_and_consumes_while_idle_connections_are_held() {
    let cap: usize = pg_client()
        .query_one(
            "SELECT current_setting('pg_kafka.max_connections')::int",
            &[],
        )
        .map(|r| r.get::<_, i32>(0) as usize)
        .expect("read pg_kafka.max_connections");
    // 1,000 idle connections, less a margin under the cap for the producing client and for the
    // other test of this binary.
    let idle_count = 1000.min(cap.saturating_sub(40));
    let pid = worker_pid();
    let before = rss_kib(pid);
    let mut idle: Vec<TcpStream> = Vec::with_capacity(idle_count);
    for i in 0..idle_count {
        let mut s = connect();
        // Each proves it was accepted, then sits idle.
        assert!(served(&mut s, i as i32), "idle connection {i} refused");
        idle.push(s);
    }
    println!(
        "{idle_count} idle connections: worker RSS {before} KiB before, {} KiB with them open",
        rss_kib(pid)
    );
    produce_and_consume("limits-idle");
    std::thread::sleep(Duration::from_millis(200));
    for (i, s) in idle.iter_mut().enumerate().step_by(101) {
        assert!(
            served(s, 50_000 + i as i32),
            "idle connection {i} dropped by the broker"
        );
    }
}
