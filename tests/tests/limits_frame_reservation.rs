//! Frame-size claims are not reservations: many connections each announcing a 100 MiB frame and
//! sending only a few bytes must not make the worker allocate 100 MiB each. Buffers grow with the
//! bytes that arrive, and large frames share one budget across connections.
//!
//! Runs alone in its own test binary (it holds the large-frame budget while it runs).

mod limits_common;

use std::time::Duration;

use limits_common::{produce_and_consume, rss_kib, worker_pid};
use pg_kafka_tests::raw::{self, connect};

const CONNECTIONS: usize = 200;
const CLAIM: i32 = 100 * 1024 * 1024;

#[test]
fn many_connections_claiming_100_mib_frames_do_not_grow_the_worker() {
    let pid = worker_pid();
    let before = rss_kib(pid);
    let mut held = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let mut s = connect();
        let mut bytes = CLAIM.to_be_bytes().to_vec();
        // The start of a Produce header, then nothing more.
        bytes.extend_from_slice(&[0, 0, 0, 3, 0, 0, 0, 1]);
        raw::send(&mut s, &bytes).expect("send the claim");
        held.push(s);
    }
    std::thread::sleep(Duration::from_secs(2));
    let during = rss_kib(pid);
    println!(
        "{CONNECTIONS} connections each claiming a {} MiB frame: worker RSS {before} KiB before, {during} KiB while held",
        CLAIM >> 20
    );
    assert!(
        during < 1024 * 1024,
        "worker RSS {during} KiB with {CONNECTIONS} unfinished 100 MiB frames"
    );
    // Small requests are still served while the claims hold the large-frame budget.
    raw::assert_broker_alive();
    produce_and_consume("limits-frames");
    drop(held);
    std::thread::sleep(Duration::from_millis(500));
    println!("worker RSS after closing them: {} KiB", rss_kib(pid));
    raw::assert_broker_alive();
}
