//! The bench's `abuse` group: each hostile case of `abuse` at full size, with the worker's peak
//! resident memory and the latency of an ordinary producer (one 1 KiB acks=all record every
//! 20 ms) beside it. One JSON line per case; measures, never asserts.

use std::time::Duration;

use serde_json::json;

use crate::abuse::{self, rss_bound_kib, worker_pid, Peak, Probe};
use crate::*;

fn percentile_ms(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    (sorted[i] as f64 / 10.0).round() / 100.0
}

/// Run `case` with the worker sampled and a probe producing beside it; emit one line.
fn measure(name: &str, case: impl FnOnce() -> serde_json::Value) {
    let pid = worker_pid();
    let peak = Peak::start(pid);
    let probe = Probe::start(&format!("bench-abuse-probe-{name}"));
    std::thread::sleep(Duration::from_millis(500));
    let detail = case();
    std::thread::sleep(Duration::from_millis(500));
    let latencies = probe.finish();
    let peak = peak.finish();
    let (p50, p99, n, failed) = match latencies {
        Ok(mut l) => {
            l.sort_unstable();
            (
                percentile_ms(&l, 0.5),
                percentile_ms(&l, 0.99),
                l.len(),
                false,
            )
        }
        Err(_) => (0.0, 0.0, 0, true),
    };
    println!(
        "{}",
        json!({
            "scenario": format!("abuse_{name}"),
            "peak_worker_private_mb": peak.anon / 1024,
            "peak_worker_rss_mb": peak.rss / 1024,
            "rss_bound_mb": rss_bound_kib() / 1024,
            "worker_survived": worker_pid() == pid,
            "ordinary_produce_p50_ms": p50,
            "ordinary_produce_p99_ms": p99,
            "ordinary_produces": n,
            "ordinary_produce_failed": failed,
            "case": detail,
        })
    );
}

pub fn run() {
    measure("metadata_5000_names_of_2000_partitions", || {
        let topic = unique_topic("bench-abuse-meta");
        crate::groups::create_topic(&topic, 2000);
        let (req, resp, topics, _) = abuse::metadata_flood(&topic, 5000);
        json!({"request_bytes": req, "response_bytes": resp, "topics_answered": topics})
    });
    measure("8_announced_100MiB_frames", || {
        let held = abuse::announce_frames(8, 100 << 20);
        std::thread::sleep(Duration::from_secs(3));
        drop(held);
        json!({"connections": 8})
    });
    measure("1100_abandoned_long_polls", || {
        let topic = unique_topic("bench-abuse-poll");
        produce_all(&producer(&[]), &topic, &[Rec::kv(b"k", b"v")]);
        abuse::abandoned_long_polls(1100, &topic, 1);
        std::thread::sleep(Duration::from_secs(1));
        json!({"connections": 1100})
    });
    measure("6_pipelined_95MB_produces", || {
        let topic = unique_topic("bench-abuse-big");
        abuse::create_large_topic(&topic);
        let codes = abuse::pipelined_produces(&topic, 95 << 20, 2, 3);
        json!({"produces": codes.len(), "failed": codes.iter().filter(|c| **c != 0).count()})
    });
}
