//! Hostile and careless clients, shared by the abuse tests (tests/tests/abuse.rs) and the bench's
//! `abuse` group: each case runs against the broker over raw connections, while `Peak` samples
//! the worker's resident memory and `Probe` measures an ordinary producer beside it.
//!
//! Owns no broker state; reads the worker's memory from /proc (the broker runs on this machine).

use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kafka_protocol::messages::{ApiKey, MetadataResponse};
use kafka_protocol::protocol::Decodable;

use crate::raw::{self, connect, Outcome};
use crate::*;

/// PID of the pg_kafka background worker.
pub fn worker_pid() -> i32 {
    pg_client()
        .query_one(
            "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_kafka'",
            &[],
        )
        .expect("the pg_kafka worker is in pg_stat_activity")
        .get(0)
}

/// VmRSS of `pid` in KiB (0 once it is gone).
pub fn rss_kib(pid: i32) -> u64 {
    status_kib(pid, "VmRSS:")
}

/// RssAnon of `pid` in KiB: its private memory, without the shared memory (shared_buffers, the
/// broker's segment) that Postgres sizes at startup and counts in VmRSS as the process touches it.
pub fn anon_kib(pid: i32) -> u64 {
    status_kib(pid, "RssAnon:")
}

fn status_kib(pid: i32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// A setting of the broker's Postgres in bytes.
pub fn setting_bytes(name: &str) -> u64 {
    pg_client()
        .query_one(
            "SELECT setting::bigint * pg_size_bytes(CASE unit WHEN 'B' THEN '1' ELSE '1' || unit END)
               FROM pg_settings WHERE name = $1",
            &[&name],
        )
        .map(|r| r.get::<_, i64>(0) as u64)
        .unwrap_or_else(|e| panic!("read {name}: {e}"))
}

/// The private memory the worker may use whatever clients do, in KiB: log_cache_size +
/// 2 x max_inflight_bytes + 128 MB (README, "Limits and memory"). Frames in flight are within
/// max_inflight_bytes; the batches the writer is committing (its offset-stamped copies, the SPI
/// statement's bytea[] argument and the tuple Postgres forms from it) within as much again.
pub fn rss_bound_kib() -> u64 {
    let cache = setting_bytes("pg_kafka.log_cache_size");
    let inflight = setting_bytes("pg_kafka.max_inflight_bytes");
    (cache + 2 * inflight + (128 << 20)) >> 10
}

/// The highest memory `Peak` saw, in KiB.
#[derive(Clone, Copy, Debug)]
pub struct Highest {
    /// VmRSS: everything resident, shared memory included.
    pub rss: u64,
    /// RssAnon: the worker's private memory, which is what clients can grow.
    pub anon: u64,
}

/// Samples the worker's memory every 20 ms until `finish`, which returns the highest seen.
pub struct Peak {
    stop: Arc<AtomicBool>,
    rss: Arc<AtomicU64>,
    anon: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Peak {
    pub fn start(pid: i32) -> Peak {
        let stop = Arc::new(AtomicBool::new(false));
        let rss = Arc::new(AtomicU64::new(rss_kib(pid)));
        let anon = Arc::new(AtomicU64::new(anon_kib(pid)));
        let (s, r, a) = (stop.clone(), rss.clone(), anon.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                r.fetch_max(rss_kib(pid), Ordering::Relaxed);
                a.fetch_max(anon_kib(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Peak {
            stop,
            rss,
            anon,
            thread: Some(thread),
        }
    }

    pub fn finish(mut self) -> Highest {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        Highest {
            rss: self.rss.load(Ordering::Relaxed),
            anon: self.anon.load(Ordering::Relaxed),
        }
    }
}

/// An ordinary producer beside a case: one 1 KiB acks=all record every 20 ms, each waited for,
/// until `finish`; it returns every latency in microseconds (or the delivery error).
pub struct Probe {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<Result<Vec<u64>, String>>>,
}

impl Probe {
    pub fn start(prefix: &str) -> Probe {
        let topic = unique_topic(prefix);
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let thread = std::thread::spawn(move || {
            let p = producer(&[("linger.ms", "0"), ("message.timeout.ms", "30000")]);
            let mut latencies = Vec::new();
            let value = vec![0x33u8; 1024];
            while !s.load(Ordering::Relaxed) {
                let t0 = Instant::now();
                let rec = Rec {
                    partition: Some(0),
                    value: Some(value.clone()),
                    ..Rec::default()
                };
                let sent = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    produce_all(&p, &topic, &[rec])
                }));
                if sent.is_err() {
                    return Err("an ordinary produce failed".to_string());
                }
                latencies.push(t0.elapsed().as_micros() as u64);
                std::thread::sleep(Duration::from_millis(20));
            }
            Ok(latencies)
        });
        Probe {
            stop,
            thread: Some(thread),
        }
    }

    pub fn finish(mut self) -> Result<Vec<u64>, String> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().map_or(Ok(Vec::new()), |t| {
            t.join().unwrap_or(Err("probe panicked".into()))
        })
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as i16).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// One Metadata v4 request naming `topic` `repeats` times; returns (request bytes, response
/// bytes, topics in the answer, partitions of the first).
pub fn metadata_flood(topic: &str, repeats: i32) -> (usize, usize, usize, usize) {
    let mut body = Vec::new();
    body.extend_from_slice(&repeats.to_be_bytes());
    for _ in 0..repeats {
        put_str(&mut body, topic);
    }
    body.push(0); // allow_auto_topic_creation
    let mut s = connect();
    let req = raw::request(ApiKey::Metadata as i16, 4, 77, &body);
    let resp = match raw::send_and_read(&mut s, &req) {
        Outcome::Response(r) => r,
        other => panic!("no Metadata answer: {other:?}"),
    };
    let (cid, mut rest) = raw::split_v0(&resp);
    assert_eq!(cid, 77);
    let m = MetadataResponse::decode(&mut rest, 4).expect("decode Metadata v4");
    let parts = m.topics.first().map_or(0, |t| t.partitions.len());
    (req.len(), resp.len(), m.topics.len(), parts)
}

/// `n` connections that each announce a frame of `size` bytes and send nothing more; dropping
/// the returned streams closes them.
pub fn announce_frames(n: usize, size: i32) -> Vec<TcpStream> {
    (0..n)
        .map(|_| {
            let mut s = connect();
            s.write_all(&size.to_be_bytes()).expect("size prefix");
            s
        })
        .collect()
}

/// `n` connections that each send a Fetch at the end of `topic`-0 (at offset `end`) asking to
/// wait i32::MAX ms, and close at once.
pub fn abandoned_long_polls(n: usize, topic: &str, end: i64) {
    let mut body = Vec::new();
    body.extend_from_slice(&(-1i32).to_be_bytes()); // replica_id
    body.extend_from_slice(&i32::MAX.to_be_bytes()); // max_wait_ms
    body.extend_from_slice(&1i32.to_be_bytes()); // min_bytes
    body.extend_from_slice(&(1i32 << 20).to_be_bytes()); // max_bytes
    body.push(0); // isolation_level
    body.extend_from_slice(&1i32.to_be_bytes()); // topics
    put_str(&mut body, topic);
    body.extend_from_slice(&1i32.to_be_bytes()); // partitions
    body.extend_from_slice(&0i32.to_be_bytes()); // partition
    body.extend_from_slice(&end.to_be_bytes()); // fetch_offset
    body.extend_from_slice(&(1i32 << 20).to_be_bytes()); // partition_max_bytes
    let req = raw::request(ApiKey::Fetch as i16, 4, 9, &body);
    for i in 0..n {
        let mut s = connect();
        s.write_all(&req)
            .unwrap_or_else(|e| panic!("long poll {i}: {e}"));
    }
}

/// Creates `topic` (one partition) accepting batches up to 100 MiB.
pub fn create_large_topic(topic: &str) {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    let admin: AdminClient<rdkafka::client::DefaultClientContext> =
        base_config().create().expect("admin");
    let t =
        NewTopic::new(topic, 1, TopicReplication::Fixed(1)).set("max.message.bytes", "104857600");
    for r in block_on(admin.create_topics(&[t], &AdminOptions::new())).expect("create") {
        r.unwrap_or_else(|(t, e)| panic!("create {t}: {e}"));
    }
}

/// `per_connection` acks=all Produce requests of about `size` bytes pipelined on each of
/// `connections` connections to `topic`-0; returns every partition error code.
pub fn pipelined_produces(
    topic: &str,
    size: usize,
    connections: i32,
    per_connection: i32,
) -> Vec<i16> {
    let value = vec![0x42u8; size.saturating_sub(1024)];
    let records = batch::simple_batch(&[(&b"big"[..], &value[..])], now_ms());
    let body = Arc::new(raw::produce_v3_body(topic, 0, -1, &records));
    let codes = Arc::new(Mutex::new(Vec::new()));
    let senders: Vec<_> = (0..connections)
        .map(|c| {
            let (body, codes) = (body.clone(), codes.clone());
            std::thread::spawn(move || {
                let mut s = connect();
                s.set_read_timeout(Some(Duration::from_secs(300))).unwrap();
                s.set_write_timeout(Some(Duration::from_secs(300))).unwrap();
                let mut reader = s.try_clone().expect("clone");
                let writer = std::thread::spawn(move || {
                    for i in 0..per_connection {
                        let req = raw::request(ApiKey::Produce as i16, 3, c * 100 + i, &body);
                        s.write_all(&req).expect("send a large produce");
                    }
                    s
                });
                for _ in 0..per_connection {
                    let code = match raw::read_frame(&mut reader) {
                        Outcome::Response(r) => raw::produce_v3_error_codes(&r)[0],
                        other => panic!("large produce: {other:?}"),
                    };
                    codes.lock().expect("codes").push(code);
                }
                drop(writer.join());
            })
        })
        .collect();
    for s in senders {
        s.join().expect("sender");
    }
    let out = codes.lock().expect("codes").clone();
    out
}

/// One record of 900 KB (under librdkafka's message.max.bytes) on each of `partitions` partitions of a new topic, acks=all (more
/// than the log cache when there are enough partitions); returns the bytes produced.
pub fn large_batch_on_every_partition(topic: &str, partitions: i32) -> usize {
    crate::groups::create_topic(topic, partitions);
    let value = vec![0x5au8; 900_000];
    let recs: Vec<Rec> = (0..partitions)
        .map(|p| Rec {
            partition: Some(p),
            ..Rec::kv(b"wide", &value)
        })
        .collect();
    let p = producer(&[("linger.ms", "0"), ("message.timeout.ms", "120000")]);
    produce_all(&p, topic, &recs);
    value.len() * partitions as usize
}

/// Bytes the log cache holds across all partitions, from `kafka.partition_memory()`.
pub fn cached_bytes() -> u64 {
    pg_client()
        .query_one(
            "SELECT coalesce(sum(cached_bytes), 0)::bigint FROM kafka.partition_memory()",
            &[],
        )
        .map(|r| r.get::<_, i64>(0) as u64)
        .expect("kafka.partition_memory()")
}
