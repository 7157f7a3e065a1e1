//! Helpers the benchmark binaries share (`pg_kafka_bench`, `bench_peers`): deterministic
//! payloads, rates and percentiles as the JSON lines report them, and sending through a full
//! librdkafka queue, and the COPY that is the Postgres floor. Measures nothing itself.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::Type;
use rdkafka::producer::{BaseProducer, BaseRecord, ProducerContext};

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
