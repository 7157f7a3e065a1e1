//! Mutation fuzzing of the request path (header, guard, kafka-protocol decode) and of RecordBatch
//! validation/decoding, on stable Rust: a fixed-seed xorshift PRNG mutates seed frames. Seeds are
//! the request frames real clients sent (core/tests/corpus/<client>.frames, captured by
//! `make corpus`) and a generated request for every served API version; batch seeds are sample
//! batches in every codec plus the batches inside the captured Produce requests. Any panic fails
//! the test; a counting global allocator fails it when one allocation outgrows its input.
//!
//! Iterations: `PG_KAFKA_FUZZ_ITERS` (default 100000; `make fuzz` runs 10 million).

// An integration test cannot see the library's test-only modules, and its counting allocator
// needs a binary of its own, so it includes the shared samples by path.
#[path = "../src/protocol/tests/samples/mod.rs"]
mod samples;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use bytes::Bytes;
use kafka_protocol::messages::RequestKind;
use pg_kafka_core::protocol::compression::WORKSPACE_FLOOR;
use pg_kafka_core::protocol::versions::{supported, TABLE};
use pg_kafka_core::protocol::{decode_records, decode_request, parse_head, validate_batches};

/// Wraps the system allocator and remembers the largest single request while armed.
struct Counting;

static ARMED: AtomicBool = AtomicBool::new(false);
static LARGEST: AtomicUsize = AtomicUsize::new(0);

fn note(size: usize) {
    if ARMED.load(Ordering::Relaxed) {
        LARGEST.fetch_max(size, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded unchanged to `System`; we only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Run `f` and return the largest single allocation it made.
fn largest_allocation(f: impl FnOnce()) -> usize {
    LARGEST.store(0, Ordering::Relaxed);
    ARMED.store(true, Ordering::SeqCst);
    f();
    ARMED.store(false, Ordering::SeqCst);
    LARGEST.load(Ordering::Relaxed)
}

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn overwrite(data: &mut [u8], at: usize, bytes: &[u8]) {
    for (i, b) in bytes.iter().enumerate() {
        if let Some(slot) = data.get_mut(at + i) {
            *slot = *b;
        }
    }
}

fn mutate(rng: &mut XorShift, data: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(4) {
        if data.is_empty() {
            data.push(rng.next() as u8);
            continue;
        }
        let at = rng.below(data.len());
        match rng.below(8) {
            0 => data[at] ^= 1 << rng.below(8),
            1 => data[at] = [0x00, 0x7f, 0xff, 0x80][rng.below(4)],
            2 => {
                let v = [i32::MAX, -1, -2, i32::MIN, data.len() as i32 + 1, 0][rng.below(6)];
                overwrite(data, at, &v.to_be_bytes());
            }
            3 => overwrite(data, at, &[i16::MAX, -1, -2][rng.below(3)].to_be_bytes()),
            4 => {
                let varints: [&[u8]; 4] = [
                    &[0xff, 0xff, 0xff, 0xff, 0x0f],
                    &[0xff, 0xff, 0xff, 0xff, 0x07],
                    &[0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
                    &[0xfe, 0xff, 0xff, 0xff, 0x0f],
                ];
                overwrite(data, at, varints[rng.below(4)]);
            }
            5 => data.truncate(at),
            6 => {
                let end = (at + 1 + rng.below(64)).min(data.len());
                let chunk = data[at..end].to_vec();
                let to = rng.below(data.len() + 1);
                data.splice(to..to, chunk);
            }
            _ => data.extend((0..1 + rng.below(8)).map(|_| rng.next() as u8)),
        }
    }
}

const MIB: usize = 1 << 20;

fn records_of(req: &RequestKind) -> Vec<Bytes> {
    match req {
        RequestKind::Produce(p) => p
            .topic_data
            .iter()
            .flat_map(|t| t.partition_data.iter())
            .filter_map(|p| p.records.clone())
            .collect(),
        _ => Vec::new(),
    }
}

/// Validate then decode; a batch that validates must decode to the counted records.
fn check_batches(records: &[u8]) {
    let limit = 64 * records.len() + MIB + 2 * WORKSPACE_FLOOR;
    let largest = largest_allocation(|| {
        let validated = validate_batches(records, MIB);
        let decoded = decode_records(records, MIB);
        if let Ok(infos) = validated {
            let counted: i64 = infos.iter().map(|i| i64::from(i.records_count)).sum();
            let decoded = decoded.expect("a validated batch decodes");
            assert_eq!(decoded.len() as i64, counted);
        }
    });
    assert!(
        largest <= limit,
        "batch of {} bytes allocated {largest}",
        records.len()
    );
}

/// The client families `make corpus` captures; each must have left frames in the corpus.
const FAMILIES: [&str; 14] = [
    "kcat",
    "confluent-kafka",
    "kafka-python",
    "kafkajs",
    "sarama",
    "franz-go",
    "kafka-go",
    "java-client",
    "kafka-tools",
    "kafka-streams",
    "kafka-connect",
    "pytest",
    "kafkajs-tests",
    "sasl",
];

/// Every captured frame, by family, split from the length-prefixed corpus files.
fn corpus() -> Vec<(&'static str, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut frames = Vec::new();
    for family in FAMILIES {
        let path = dir.join(format!("{family}.frames"));
        let bytes = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (make corpus captures it)", path.display()));
        let mut rest = &bytes[..];
        let mut n = 0;
        while !rest.is_empty() {
            assert!(rest.len() >= 4, "{}: truncated length", path.display());
            let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
            assert!(rest.len() >= 4 + len, "{}: truncated frame", path.display());
            frames.push((family, rest[4..4 + len].to_vec()));
            rest = &rest[4 + len..];
            n += 1;
        }
        assert!(n > 0, "{}: no frames", path.display());
    }
    frames
}

/// Real clients' frames are accepted as they are: every captured frame of a version we serve
/// parses and decodes (a guard or schema regression against a real client fails here first),
/// and every API we serve has at least one real frame among the seeds.
#[test]
fn captured_client_frames_of_served_versions_decode() {
    let frames = corpus();
    let mut decoded = 0;
    for (family, frame) in &frames {
        let head = parse_head(frame).unwrap_or_else(|e| panic!("{family}: head: {e:?}"));
        if !supported(head.api_key, head.api_version) {
            continue;
        }
        let req = decode_request(&head, Bytes::from(frame.clone())).unwrap_or_else(|e| {
            panic!(
                "{family}: api {} v{} refused: {e:?}",
                head.api_key, head.api_version
            )
        });
        for records in records_of(&req) {
            validate_batches(&records, 64 * MIB)
                .unwrap_or_else(|e| panic!("{family}: produced batch refused: {e:?}"));
        }
        decoded += 1;
    }
    let apis: std::collections::BTreeSet<i16> = frames
        .iter()
        .filter_map(|(_, f)| parse_head(f).ok().map(|h| h.api_key))
        .collect();
    let uncaptured: Vec<String> = TABLE
        .iter()
        .filter(|r| !apis.contains(&(r.key as i16)))
        .map(|r| format!("{:?}", r.key))
        .collect();
    eprintln!(
        "{} captured frames, {decoded} of served versions decoded, {} APIs",
        frames.len(),
        apis.len()
    );
    assert!(
        uncaptured.is_empty(),
        "served APIs without a real client frame in the corpus: {uncaptured:?}; add a client \
         test that sends them and run `make corpus`"
    );
}

#[test]
fn mutated_frames_and_batches_never_panic_or_overallocate() {
    // As the worker runs (src/pg/worker.rs): decode errors capture no backtrace whatever
    // RUST_BACKTRACE says, or the capture's own allocation is what this test measures.
    std::env::set_var("RUST_LIB_BACKTRACE", "0");
    let iterations: usize = std::env::var("PG_KAFKA_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let captured = corpus();
    let mut seeds: Vec<Vec<u8>> = captured.iter().map(|(_, f)| f.clone()).collect();
    seeds.extend(
        TABLE
            .iter()
            .flat_map(|r| (r.min_served..=r.max_advertised).map(move |v| (r.key, v)))
            .map(|(key, v)| samples::frame(key, v, 7, &samples::request(key, v))),
    );
    let mut batches: Vec<Vec<u8>> = (0..=4)
        .map(|codec| samples::sample_batch(0, codec))
        .collect();
    for (_, frame) in &captured {
        if let Ok(head) = parse_head(frame) {
            if let Ok(req) = decode_request(&head, Bytes::from(frame.clone())) {
                batches.extend(records_of(&req).iter().map(|b| b.to_vec()));
            }
        }
    }
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut decoded_ok = 0usize;
    let mut batches_ok = 0usize;
    for i in 0..iterations {
        let mut frame = seeds[i % seeds.len()].clone();
        mutate(&mut rng, &mut frame);
        let limit = 64 * frame.len() + MIB;
        let bytes = Bytes::from(frame.clone());
        let mut produced = Vec::new();
        let largest = largest_allocation(|| {
            if let Ok(head) = parse_head(&frame) {
                if let Ok(req) = decode_request(&head, bytes) {
                    decoded_ok += 1;
                    produced = records_of(&req);
                }
            }
        });
        assert!(
            largest <= limit,
            "frame of {} bytes allocated {largest}: {:?}",
            frame.len(),
            parse_head(&frame).map(|h| (h.api_key, h.api_version))
        );
        for records in produced {
            check_batches(&records);
        }

        // Batches directly, mostly with the CRC repaired so mutations reach the codecs and the
        // record parser instead of stopping at the checksum.
        let mut batch = batches[i % batches.len()].clone();
        mutate(&mut rng, &mut batch);
        if rng.below(4) != 0 {
            samples::fix_crc(&mut batch);
        }
        if validate_batches(&batch, MIB).is_ok() {
            batches_ok += 1;
        }
        check_batches(&batch);
    }
    // The mutations must leave some inputs valid, or the fuzz only exercises the first check.
    if iterations >= 1000 {
        assert!(
            decoded_ok > 0 && batches_ok > 0,
            "{decoded_ok} {batches_ok}"
        );
    }
    eprintln!(
        "{iterations} iterations over {} frame and {} batch seeds: {decoded_ok} frames decoded, \
         {batches_ok} batches valid",
        seeds.len(),
        batches.len()
    );
}
