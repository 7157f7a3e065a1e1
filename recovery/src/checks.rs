//! The invariants checked after every crash and at the end of a run.
//!
//! After a crash (producers paused and flushed): high watermark and log start never regress and
//! cover every acknowledged offset; the group's committed offsets are at least the last commit the
//! broker acknowledged and never regress; `kafka.check_consistency()` finds memory equal to the
//! tables. At the end: every acknowledged record is present exactly once at the offset it was
//! acknowledged with, offsets are contiguous from the log start, no unknown record exists, and the
//! server log shows no crash the harness did not cause.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use pg_kafka_tests::{base_config, consume_with, consumer, pg_url};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};

use crate::load::Acked;

/// Violations found so far, by kind; each also printed when found.
#[derive(Default)]
pub struct Violations(pub BTreeMap<&'static str, u64>);

impl Violations {
    pub fn add(&mut self, kind: &'static str, detail: String) {
        eprintln!("crash_harness: VIOLATION {kind}: {detail}");
        *self.0.entry(kind).or_default() += 1;
    }

    pub fn count(&self, kind: &str) -> u64 {
        self.0.get(kind).copied().unwrap_or(0)
    }
}

/// Highest values seen so far, to prove nothing moves backwards.
#[derive(Default)]
pub struct Seen {
    pub low: BTreeMap<i32, i64>,
    pub high: BTreeMap<i32, i64>,
    pub fetched: BTreeMap<i32, i64>,
}

/// Watermarks of every partition; they must never regress and must cover every ack.
pub fn watermarks(
    topic: &str,
    partitions: i32,
    acked: &[Acked],
    seen: &mut Seen,
    v: &mut Violations,
) {
    let c = consumer(&[]);
    let mut max_acked: HashMap<i32, i64> = HashMap::new();
    for a in acked {
        let m = max_acked.entry(a.partition).or_insert(-1);
        *m = (*m).max(a.offset);
    }
    for p in 0..partitions {
        let (low, high) = match c.fetch_watermarks(topic, p, Duration::from_secs(30)) {
            Ok(w) => w,
            Err(e) => {
                v.add("watermarks_unavailable", format!("{topic}/{p}: {e}"));
                continue;
            }
        };
        let prev_low = seen.low.insert(p, low).unwrap_or(0);
        let prev_high = seen.high.insert(p, high).unwrap_or(0);
        if low < prev_low {
            v.add(
                "log_start_regressed",
                format!("{topic}/{p}: {prev_low} -> {low}"),
            );
            seen.low.insert(p, prev_low);
        }
        if high < prev_high {
            v.add(
                "high_watermark_regressed",
                format!("{topic}/{p}: {prev_high} -> {high}"),
            );
            seen.high.insert(p, prev_high);
        }
        if let Some(m) = max_acked.get(&p) {
            if high <= *m {
                v.add(
                    "acked_beyond_high_watermark",
                    format!("{topic}/{p}: acked {m}, high watermark {high}"),
                );
            }
        }
    }
}

/// The group's committed offsets (OffsetFetch) against the last commits the broker acknowledged.
pub fn group_offsets(
    topic: &str,
    group: &str,
    partitions: i32,
    acknowledged: &BTreeMap<i32, i64>,
    seen: &mut Seen,
    v: &mut Violations,
) {
    let mut config = base_config();
    config
        .set("group.id", group)
        .set("enable.auto.commit", "false");
    let c: BaseConsumer = config.create().expect("create offset reader");
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(topic, p);
    }
    let fetched = match c.committed_offsets(tpl, Duration::from_secs(30)) {
        Ok(t) => t,
        Err(e) => {
            v.add("offset_fetch_failed", format!("{group}: {e}"));
            return;
        }
    };
    for e in fetched.elements() {
        let p = e.partition();
        let got = match e.offset() {
            Offset::Offset(o) => o,
            _ => -1,
        };
        if let Some(want) = acknowledged.get(&p) {
            if got < *want {
                v.add(
                    "committed_offset_lost",
                    format!("{group} {topic}/{p}: acknowledged {want}, fetched {got}"),
                );
            }
        }
        let prev = seen.fetched.insert(p, got).unwrap_or(-1);
        if got < prev {
            v.add(
                "committed_offset_regressed",
                format!("{group} {topic}/{p}: {prev} -> {got}"),
            );
            seen.fetched.insert(p, prev);
        }
    }
}

/// `kafka.check_consistency()` must return no row.
pub fn consistency(v: &mut Violations) {
    let mut client = match postgres::Client::connect(&pg_url(), postgres::NoTls) {
        Ok(c) => c,
        Err(e) => {
            v.add(
                "consistency_unavailable",
                format!("connect: {}", pg_error(&e)),
            );
            return;
        }
    };
    match client.query(
        "SELECT topic, partition, what, memory, stored FROM kafka.check_consistency()",
        &[],
    ) {
        Ok(rows) => {
            for r in rows {
                let (t, p, w, m, s): (String, i32, String, Option<i64>, Option<i64>) =
                    (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
                v.add(
                    "memory_differs_from_tables",
                    format!("{t}/{p} {w}: memory {m:?}, stored {s:?}"),
                );
            }
        }
        Err(e) => v.add("consistency_unavailable", pg_error(&e)),
    }
}

/// What the final read-back found for one producer mode.
#[derive(Default, Clone, Copy)]
pub struct Tally {
    pub acked: u64,
    pub failed: u64,
    pub lost: u64,
    pub misplaced: u64,
    pub duplicates: u64,
    /// Records whose delivery failed but which were committed (a crash after COMMIT).
    pub unacked_present: u64,
    /// Records written into produce requests, retransmissions included (librdkafka's
    /// `txmsgs`). Records that failed may never have been sent, so `transmitted - acked - failed`
    /// is only a lower bound of the records sent more than once.
    pub transmitted: u64,
}

impl Tally {
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "acked": self.acked, "failed": self.failed, "lost": self.lost,
            "misplaced": self.misplaced, "duplicates": self.duplicates,
            "unacked_present": self.unacked_present, "transmitted": self.transmitted,
            "retransmitted_at_least": self.transmitted.saturating_sub(self.acked + self.failed),
        })
    }
}

/// Final read-back: every ack exactly once where it was acknowledged; contiguous offsets; no
/// record the producers did not send. Counts per mode, `mode_of` naming an id's producer mode.
pub fn read_back(
    topic: &str,
    partitions: i32,
    acked: &[Acked],
    failed: &[u64],
    mode_of: impl Fn(u64) -> &'static str,
    v: &mut Violations,
) -> BTreeMap<&'static str, Tally> {
    let reader = consumer(&[]);
    let mut where_is: HashMap<u64, Vec<(i32, i64)>> = HashMap::new();
    for p in 0..partitions {
        let (low, high) = reader
            .fetch_watermarks(topic, p, Duration::from_secs(60))
            .expect("watermarks for the read-back");
        if low != 0 {
            v.add(
                "log_start_moved",
                format!("{topic}/{p}: log start {low}, nothing deleted records"),
            );
        }
        let got = consume_with(&reader, topic, p, low, (high - low) as usize);
        for (i, g) in got.iter().enumerate() {
            if g.offset != low + i as i64 {
                v.add(
                    "offsets_not_contiguous",
                    format!("{topic}/{p}: record {i} has offset {}", g.offset),
                );
                break;
            }
        }
        for g in &got {
            let id = g
                .value
                .as_deref()
                .and_then(|b| std::str::from_utf8(b).ok())
                .and_then(|s| s.parse::<u64>().ok());
            match id {
                Some(id) => where_is.entry(id).or_default().push((p, g.offset)),
                None => v.add("unknown_record", format!("{topic}/{p}@{}", g.offset)),
            }
        }
    }
    let mut tally: BTreeMap<&'static str, Tally> = BTreeMap::new();
    for &id in failed {
        tally.entry(mode_of(id)).or_default().failed += 1;
    }
    let mut acked_ids = std::collections::HashSet::with_capacity(acked.len());
    for a in acked {
        acked_ids.insert(a.id);
        let t = tally.entry(mode_of(a.id)).or_default();
        t.acked += 1;
        match where_is.get(&a.id).map(Vec::as_slice) {
            None => {
                t.lost += 1;
                v.add(
                    "acked_record_lost",
                    format!("id {} acked at {}/{}", a.id, a.partition, a.offset),
                );
            }
            Some([(p, o)]) if (*p, *o) == (a.partition, a.offset) => {}
            Some(places) => {
                t.misplaced += 1;
                v.add(
                    "acked_record_misplaced",
                    format!(
                        "id {} acked at {}/{}, found at {places:?}",
                        a.id, a.partition, a.offset
                    ),
                );
            }
        }
    }
    for (id, places) in &where_is {
        let t = tally.entry(mode_of(*id)).or_default();
        if places.len() > 1 {
            t.duplicates += places.len() as u64 - 1;
            v.add("duplicate_record", format!("id {id} at {places:?}"));
        }
        if !acked_ids.contains(id) {
            t.unacked_present += 1;
        }
    }
    tally
}

/// The server log from `from` on: SIGKILLs are the harness's; any other signal or a PANIC fails.
/// Returns the number of "terminated by signal 9" lines.
pub fn server_log(path: &str, from: u64, v: &mut Violations) -> u64 {
    let Some(text) = log_since(path, from) else {
        v.add("server_log_unreadable", path.to_string());
        return 0;
    };
    let mut sigkills = 0;
    for line in text.lines() {
        if line.contains("terminated by signal 9") {
            sigkills += 1;
        } else if line.contains("terminated by signal") || line.contains("PANIC") {
            v.add("server_log_crash", line.to_string());
        }
    }
    sigkills
}

/// Print what the server logged from byte `from` on (to explain a slow restart).
pub fn print_log_since(path: &str, from: u64) {
    let Some(text) = log_since(path, from) else {
        return;
    };
    eprintln!("crash_harness: ---- server log since the crash ----");
    for line in text.lines() {
        eprintln!("crash_harness: | {line}");
    }
    eprintln!("crash_harness: ----");
}

/// The server log from byte `from` on.
fn log_since(path: &str, from: u64) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    Some(String::from_utf8_lossy(&bytes[(from as usize).min(bytes.len())..]).into_owned())
}

/// A Postgres error with the server's message (the plain Display says only "db error").
pub fn pg_error(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => e.to_string(),
    }
}

/// Identity of the installed library file: another install during the run (the library
/// directory is shared) would make later restarts load different code and void the run.
pub fn library_identity(path: &str) -> Option<(u64, u64, i64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path)
        .ok()
        .map(|m| (m.dev(), m.ino(), m.mtime()))
}
