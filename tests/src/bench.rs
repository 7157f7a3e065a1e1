//! Helpers the benchmark binaries share (`pg_kafka_bench`, `bench_peers`): deterministic
//! payloads, rates and percentiles as the JSON lines report them, sending through a full
//! librdkafka queue, the paced end-to-end latency probe, and the COPY that is the Postgres floor.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::Type;
use rdkafka::consumer::Consumer;
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, ProducerContext};
use rdkafka::{Offset, TopicPartitionList};

/// `size` bytes of xorshift noise: the same for a seed, and not compressible.
pub fn payload(size: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Prints one JSON line on stdout.
pub fn emit(v: serde_json::Value) {
    println!("{v}");
}

/// Records per second, to one decimal.
pub fn rate(n: usize, secs: f64) -> f64 {
    (n as f64 / secs * 10.0).round() / 10.0
}

/// MB (10^6 bytes) per second, to two decimals.
pub fn mb_rate(bytes: usize, secs: f64) -> f64 {
    (bytes as f64 / secs / 1e6 * 100.0).round() / 100.0
}

/// Microseconds since the epoch (the send time a latency probe carries in its payload).
pub fn micros_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// The `p` quantile (0..=1, nearest rank) of sorted microseconds, in milliseconds.
pub fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx] as f64 / 1000.0
}

/// Send one record, serving delivery reports while librdkafka's queue is full.
pub fn send_waiting<C: ProducerContext<DeliveryOpaque = Box<usize>>>(
    p: &BaseProducer<C>,
    mut rec: BaseRecord<'_, [u8], [u8], Box<usize>>,
) {
    loop {
        match p.send(rec) {
            Ok(()) => return,
            Err((_, back)) => {
                p.poll(Duration::from_millis(1));
                rec = back;
            }
        }
    }
}

/// The Postgres floor: `COPY ... FROM STDIN BINARY` of `count` rows `(id bigint, payload bytea)`
/// carrying `value` into `table` (which has those columns), in one transaction.
pub fn copy_rows(pg: &mut postgres::Client, table: &str, value: &[u8], count: usize) {
    let sink = pg
        .copy_in(&format!("COPY {table} (id, payload) FROM STDIN BINARY"))
        .expect("COPY");
    let mut w = BinaryCopyInWriter::new(sink, &[Type::INT8, Type::BYTEA]);
    for i in 0..count as i64 {
        w.write(&[&i, &value]).expect("COPY row");
    }
    w.finish().expect("COPY finish");
}

/// End-to-end latency on partition 0 of `topic` (which exists): a consumer thread assigned at
/// `from` (`fetch.wait.max.ms=10`) reads while `p` sends `total` records at a steady `per_s`, each
/// payload its send time in µs (8 bytes, big-endian) then `filler`. The consumer starts `settle`
/// before the first send. Returns the sorted latencies (µs) of the records that arrived within
/// 30 s of the last send.
pub fn paced_latencies<C: ProducerContext<DeliveryOpaque = Box<usize>>>(
    p: &BaseProducer<C>,
    topic: &str,
    from: Offset,
    per_s: u64,
    total: usize,
    filler: &[u8],
    settle: Duration,
) -> Vec<u64> {
    let done = Arc::new(AtomicBool::new(false));
    let (t, stop) = (topic.to_string(), done.clone());
    let probe = std::thread::spawn(move || {
        let c = crate::consumer(&[("fetch.wait.max.ms", "10"), ("fetch.min.bytes", "1")]);
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(&t, 0, from).expect("tpl");
        c.assign(&tpl).expect("assign");
        let mut lat = Vec::with_capacity(total);
        while lat.len() < total && !stop.load(Ordering::Relaxed) {
            if let Some(Ok(m)) = c.poll(Duration::from_millis(50)) {
                let now = micros_now();
                if let Some(v) = m.payload().filter(|v| v.len() >= 8) {
                    let sent = u64::from_be_bytes(v[..8].try_into().expect("8 bytes"));
                    lat.push(now.saturating_sub(sent));
                }
            }
        }
        lat
    });
    std::thread::sleep(settle);
    let interval = Duration::from_micros(1_000_000 / per_s.max(1));
    let start = Instant::now();
    for i in 0..total {
        let due = start + interval * i as u32;
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
        let mut value = micros_now().to_be_bytes().to_vec();
        value.extend_from_slice(filler);
        let rec: BaseRecord<'_, [u8], Vec<u8>, Box<usize>> =
            BaseRecord::with_opaque_to(topic, Box::new(i))
                .partition(0)
                .payload(&value);
        if let Err((e, _)) = p.send(rec) {
            eprintln!("latency probe: send {i}: {e}");
        }
        p.poll(Duration::ZERO);
    }
    if !crate::drain(p, Duration::from_secs(60)) {
        eprintln!("latency probe: records still in flight 60 s after the last send");
    }
    let until = Instant::now() + Duration::from_secs(30);
    while !probe.is_finished() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
    }
    done.store(true, Ordering::Relaxed);
    let mut lat = probe.join().expect("latency probe");
    lat.sort_unstable();
    lat
}
