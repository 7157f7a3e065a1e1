//! Crash harness: SIGKILL the broker at random moments under load, restart, and check that nothing
//! acknowledged is lost, no offset is reused, nothing regresses, and memory equals the tables.
//!
//! Crash kinds, in rotation: the pg_kafka worker (its PID from pg_stat_activity), the postmaster
//! (its PID from postmaster.pid; the cluster is then started again with PG_KAFKA_RESTART_CMD), a
//! clean `pg_ctl stop -m fast` under load (PG_KAFKA_STOP_CMD; how long it took is reported), and,
//! when the library was built with the `failpoints` feature (PG_KAFKA_CRASH_FAILPOINTS=1), the
//! worker killing itself inside a group commit: before COMMIT, after COMMIT before publishing to
//! memory, after publishing before replying (see core/src/failpoint.rs), and the worker killed
//! while the log cleaner compacts a topic (`compacted`).
//!
//! Environment (the Makefile's crash-test target sets it): PG_KAFKA_BOOTSTRAP, PG_KAFKA_PGURL,
//! PG_KAFKA_CRASH_PGDATA, PG_KAFKA_RESTART_CMD, PG_KAFKA_CRASHES (default 10),
//! PG_KAFKA_CRASH_FAILPOINTS, PG_KAFKA_CRASH_SEED, PG_KAFKA_CRASH_LIBRARY (the installed
//! pg_kafka.so: the run fails if it is replaced meanwhile). Prints one JSON summary line; exits 1 on
//! any violation. A restart slower than `SLOW_RESTART` prints the server log written meanwhile.
//! Only ever signals the PIDs its own cluster reports.

mod checks;
mod compacted;
mod load;

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use pg_kafka_tests::groups::create_topic;
use pg_kafka_tests::{consumer, pg_url, unique_topic};
use rdkafka::consumer::Consumer;

use checks::{Seen, Violations};
use load::{Mode, Shared};

const PARTITIONS: i32 = 4;
/// One producer of each kind: the plain one proves the broker never duplicates a record sent
/// once; the idempotent one that its retries after a crash never duplicate either.
const PRODUCERS: [Mode; 2] = [Mode::Plain, Mode::Idempotent];
const FAILPOINTS: [&str; 3] = ["before_commit", "after_commit", "after_publish"];
/// Safety nets against a broker that never comes back; not performance limits.
const SERVE_DEADLINE: Duration = Duration::from_secs(180);
const FAILPOINT_DEADLINE: Duration = Duration::from_secs(30);
/// Restarts slower than this print what the server logged meanwhile (normal ones take ~1 s).
const SLOW_RESTART: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug)]
enum Kind {
    Worker,
    Postmaster,
    /// Not a crash: a fast shutdown while the producers keep sending.
    Stop,
    Failpoint(&'static str),
    /// The worker, while `kafka.run_cleaner()` compacts.
    Cleaner,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Worker => "worker",
            Kind::Postmaster => "postmaster",
            Kind::Stop => "stop",
            Kind::Failpoint(f) => f,
            Kind::Cleaner => "cleaner",
        }
    }
}

/// xorshift64*: random enough for crash timing, reproducible from the printed seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|s| !s.is_empty())
}

fn main() {
    let pgdata = env("PG_KAFKA_CRASH_PGDATA")
        .expect("PG_KAFKA_CRASH_PGDATA must name the cluster's data directory");
    let restart_cmd =
        env("PG_KAFKA_RESTART_CMD").expect("PG_KAFKA_RESTART_CMD must start the cluster");
    let crashes: u64 = env("PG_KAFKA_CRASHES").map_or(10, |s| s.parse().expect("PG_KAFKA_CRASHES"));
    let failpoints = env("PG_KAFKA_CRASH_FAILPOINTS").is_some_and(|s| s == "1");
    let seed = env("PG_KAFKA_CRASH_SEED").map_or_else(
        || {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        },
        |s| s.parse().expect("PG_KAFKA_CRASH_SEED"),
    );
    let mut rng = Rng(seed);
    let stop_cmd = env("PG_KAFKA_STOP_CMD");
    let mut kinds = vec![Kind::Worker, Kind::Postmaster, Kind::Cleaner];
    if stop_cmd.is_some() {
        kinds.push(Kind::Stop);
    }
    if failpoints {
        kinds.extend(FAILPOINTS.map(Kind::Failpoint));
    }
    let switch = format!("{pgdata}/pg_kafka_failpoint");
    let _ = std::fs::remove_file(&switch);
    let log_path = format!("{pgdata}/server.log");
    let log_from = std::fs::metadata(&log_path).map_or(0, |m| m.len());

    let library = env("PG_KAFKA_CRASH_LIBRARY");
    let library_id = library.as_deref().and_then(checks::library_identity);

    let topic = unique_topic("crash");
    let group = unique_topic("crash-group");
    create_topic(&topic, PARTITIONS);
    eprintln!(
        "crash_harness: seed {seed}, {crashes} crashes of {:?}, topic {topic}",
        kinds.iter().map(|k| k.name()).collect::<Vec<_>>()
    );

    let mut compacted = compacted::Compacted::create();
    let shared = Arc::new(Shared::default());
    let producers = load::producers(&PRODUCERS, &topic, PARTITIONS, &shared);
    let member = load::group_member(&topic, &group, &shared);
    let started = Instant::now();

    let mut v = Violations::default();
    let mut seen = Seen::default();
    let mut by_kind: BTreeMap<&str, u64> = BTreeMap::new();
    let mut restart_ms: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    let mut not_hit = 0u64;
    let mut slow = Vec::new();
    let mut stop_ms: Vec<u64> = Vec::new();
    let first = rng.below(kinds.len() as u64) as usize;
    for i in 0..crashes {
        let kind = kinds[(first + i as usize) % kinds.len()];
        std::thread::sleep(Duration::from_millis(300 + rng.below(1700)));
        let old = worker_pid(SERVE_DEADLINE).expect("the pg_kafka worker is not running");
        let log_at = std::fs::metadata(&log_path).map_or(0, |m| m.len());
        let crashed = if let Kind::Cleaner = kind {
            compacted.round();
            let pass = compacted::Compacted::start_pass();
            // Somewhere inside the pass: the last one's length bounds the moment.
            std::thread::sleep(Duration::from_millis(rng.below(compacted.pass_ms.max(20))));
            sigkill(old);
            let t0 = Instant::now();
            if !pass.join().unwrap_or(true) {
                compacted.passes_interrupted += 1;
            }
            Some(t0)
        } else if let Kind::Stop = kind {
            let cmd = stop_cmd.as_deref().unwrap_or_default();
            let (t0, ms) = stop_and_start(cmd, &restart_cmd);
            stop_ms.push(ms);
            eprintln!("crash_harness: a fast stop under load took {ms} ms");
            Some(t0)
        } else {
            crash(kind, old, &pgdata, &switch, &restart_cmd)
        };
        let t0 = match crashed {
            Some(t0) => t0,
            None => {
                not_hit += 1;
                continue;
            }
        };
        let Some(phases) = wait_serving(old, &topic, t0) else {
            v.add(
                "not_serving",
                format!(
                    "no broker {}s after a {} crash",
                    SERVE_DEADLINE.as_secs(),
                    kind.name()
                ),
            );
            break;
        };
        let ms = phases.serving_ms;
        *by_kind.entry(kind.name()).or_default() += 1;
        restart_ms.entry(kind.name()).or_default().push(ms);
        eprintln!(
            "crash_harness: crash {} ({}) serving again after {ms} ms (Postgres {} ms, worker {} ms)",
            i + 1,
            kind.name(),
            phases.postgres_ms,
            phases.worker_ms,
        );
        if Duration::from_millis(ms) > SLOW_RESTART {
            slow.push(serde_json::json!({
                "crash": i + 1, "kind": kind.name(), "postgres_ms": phases.postgres_ms,
                "worker_ms": phases.worker_ms, "serving_ms": ms,
            }));
            checks::print_log_since(&log_path, log_at);
        }
        quiet_checks(&shared, &topic, &group, &mut seen, &mut v);
        if let Kind::Cleaner = kind {
            compacted.check(&mut v);
        }
        if let Some(lib) = &library {
            if checks::library_identity(lib) != library_id {
                v.add("library_replaced", format!("{lib} was replaced during the run: later restarts load other code; the run is void"));
                break;
            }
        }
    }

    shared.stop.store(true, Ordering::SeqCst);
    for p in producers {
        let _ = p.join();
    }
    let _ = member.join();
    let acked = shared.acked.lock().expect("acked lock").clone();
    checks::watermarks(&topic, PARTITIONS, &acked, &mut seen, &mut v);
    let committed = shared.committed.lock().expect("committed lock").clone();
    checks::group_offsets(&topic, &group, PARTITIONS, &committed, &mut seen, &mut v);
    checks::consistency(&mut v);
    // A pass that runs to its end leaves one record per key (and the filler).
    if let Err(e) = postgres::Client::connect(&pg_url(), postgres::NoTls)
        .and_then(|mut c| c.batch_execute("SELECT kafka.run_cleaner()"))
    {
        v.add(
            "cleaner_failed",
            format!("a full pass after the crashes: {e}"),
        );
    }
    let (compacted_read, repeated) = compacted.check(&mut v);
    // The newest batch (the last filler alone) is never compacted, nor is it in the key map, so
    // the filler before it stays too: Kafka's active segment.
    if compacted_read != compacted.keys() + repeated.len()
        || repeated.iter().any(|(k, _)| k != "filler")
        || repeated.len() > 1
    {
        v.add(
            "compacted_not_compacted",
            format!(
                "{compacted_read} records after a full pass, {} keys; read twice (key, first offset): {repeated:?}",
                compacted.keys()
            ),
        );
    }
    let failed = shared.failed.lock().expect("failed lock").clone();
    let mode_of = |id| {
        PRODUCERS
            .get(load::producer_of(id))
            .map_or("unknown", |m| m.name())
    };
    let mut tally = checks::read_back(&topic, PARTITIONS, &acked, &failed, mode_of, &mut v);
    for mode in PRODUCERS {
        if tally.get(mode.name()).is_none_or(|t| t.acked == 0) {
            v.add(
                "producer_stalled",
                format!("the {} producer had no record acknowledged", mode.name()),
            );
        }
    }
    let transmitted = shared.transmitted.lock().expect("transmitted lock").clone();
    for (p, mode) in PRODUCERS.iter().enumerate() {
        if let Some(t) = tally.get_mut(mode.name()) {
            t.transmitted += transmitted.get(&(p as u64)).copied().unwrap_or(0);
        }
    }
    let total = |f: fn(&checks::Tally) -> u64| tally.values().map(f).sum::<u64>();
    let sigkills = checks::server_log(&log_path, log_from, &mut v);
    let expected_sigkills = by_kind
        .iter()
        .filter(|(k, _)| **k != "postmaster" && **k != "stop")
        .map(|(_, n)| n)
        .sum::<u64>();
    if sigkills > expected_sigkills {
        v.add(
            "unexpected_sigkill",
            format!("{sigkills} SIGKILLs in the server log, the harness sent {expected_sigkills}"),
        );
    }

    let all_ms: Vec<u64> = restart_ms.values().flatten().copied().collect();
    let summary = serde_json::json!({
        "crash_test": if v.0.is_empty() { "pass" } else { "FAIL" },
        "seed": seed,
        "crashes_requested": crashes,
        "crashes": by_kind,
        "failpoints_not_hit": not_hit,
        "seconds": started.elapsed().as_secs(),
        "records_sent": shared.sent.load(Ordering::Relaxed),
        "records_acked": acked.len(),
        "records_failed": failed.len(),
        "lost": total(|t| t.lost),
        "misplaced": total(|t| t.misplaced),
        "duplicates": total(|t| t.duplicates),
        "unacked_present": total(|t| t.unacked_present),
        "by_mode": tally.iter().map(|(m, t)| (m.to_string(), t.json())).collect::<serde_json::Map<_, _>>(),
        "group_commits_ok": shared.commits_ok.load(Ordering::Relaxed),
        "group_commits_failed": shared.commits_failed.load(Ordering::Relaxed),
        "max_restart_ms": all_ms.iter().max(),
        "mean_restart_ms": if all_ms.is_empty() { 0 } else { all_ms.iter().sum::<u64>() / all_ms.len() as u64 },
        "max_restart_ms_by_kind": restart_ms.iter().map(|(k, ms)| (*k, ms.iter().max())).collect::<BTreeMap<_, _>>(),
        "slow_restarts": slow,
        "sigkills_in_server_log": sigkills,
        "max_fast_stop_ms": stop_ms.iter().max(),
        "consistency_differences": v.count("memory_differs_from_tables"),
        "cleaner_passes_interrupted": compacted.passes_interrupted,
        "cleaner_pass_ms": compacted.pass_ms,
        "compacted_records_after_full_pass": compacted_read,
        "violations": v.0,
    });
    println!("{summary}");
    if !v.0.is_empty() {
        std::process::exit(1);
    }
}

/// `pg_ctl stop -m fast` while the load runs, then start again: (when it was back down, how long
/// the stop took). A stop that fails is a broken run, not a measurement.
fn stop_and_start(stop_cmd: &str, start_cmd: &str) -> (Instant, u64) {
    let t0 = Instant::now();
    let ok = Command::new("bash")
        .arg("-c")
        .arg(stop_cmd)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "PG_KAFKA_STOP_CMD failed: the broker did not stop");
    let ms = t0.elapsed().as_millis() as u64;
    let restarted = Command::new("bash")
        .arg("-c")
        .arg(start_cmd)
        .status()
        .is_ok_and(|s| s.success());
    assert!(restarted, "PG_KAFKA_RESTART_CMD failed after a clean stop");
    (Instant::now(), ms)
}

/// Crash the broker; returns when the crash happened, or None when an armed failpoint was not
/// reached in time (it is disarmed again).
fn crash(
    kind: Kind,
    worker: i32,
    pgdata: &str,
    switch: &str,
    restart_cmd: &str,
) -> Option<Instant> {
    match kind {
        Kind::Worker => {
            sigkill(worker);
            Some(Instant::now())
        }
        Kind::Postmaster => {
            let pidfile = std::fs::read_to_string(format!("{pgdata}/postmaster.pid"))
                .expect("read postmaster.pid");
            let pm: i32 = pidfile
                .lines()
                .next()
                .and_then(|l| l.trim().parse().ok())
                .expect("PID in postmaster.pid");
            sigkill(pm);
            let t0 = Instant::now();
            // The restart command must not find the dying postmaster still in /proc and take the
            // cluster for running.
            while alive(pm) && t0.elapsed() < FAILPOINT_DEADLINE {
                std::thread::sleep(Duration::from_millis(5));
            }
            for attempt in 1..=3 {
                let ok = Command::new("bash")
                    .arg("-c")
                    .arg(restart_cmd)
                    .status()
                    .is_ok_and(|s| s.success());
                if ok {
                    break;
                }
                assert!(
                    attempt < 3,
                    "PG_KAFKA_RESTART_CMD failed three times after killing the postmaster"
                );
                eprintln!("crash_harness: restart command failed (attempt {attempt}); retrying");
                std::thread::sleep(Duration::from_secs(2));
            }
            Some(t0)
        }
        Kind::Stop | Kind::Cleaner => None,
        Kind::Failpoint(name) => {
            std::fs::write(switch, name).expect("arm failpoint");
            let deadline = Instant::now() + FAILPOINT_DEADLINE;
            while alive(worker) {
                if Instant::now() > deadline {
                    let _ = std::fs::remove_file(switch);
                    eprintln!(
                        "crash_harness: failpoint {name} not reached within {FAILPOINT_DEADLINE:?}"
                    );
                    return None;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Some(Instant::now())
        }
    }
}

fn sigkill(pid: i32) {
    let ok = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "kill -9 {pid} failed");
}

/// The process exists and is not a zombie.
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// The worker's PID as `pg_stat_activity` reports it: `Err` while Postgres refuses connections,
/// `Ok(None)` while no worker runs.
fn worker_pid_once() -> Result<Option<i32>, postgres::Error> {
    let mut c = postgres::Client::connect(&pg_url(), postgres::NoTls)?;
    let row = c.query_opt(
        "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_kafka'",
        &[],
    )?;
    Ok(row.map(|r| r.get(0)))
}

fn worker_pid(patience: Duration) -> Option<i32> {
    let deadline = Instant::now() + patience;
    loop {
        if let Ok(Some(pid)) = worker_pid_once() {
            return Some(pid);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Milliseconds from a crash until Postgres accepted a connection, a new worker was running and
/// it answered ListOffsets for every partition.
struct Phases {
    postgres_ms: u64,
    worker_ms: u64,
    serving_ms: u64,
}

/// Wait until a new worker (not `old`) answers ListOffsets for every partition of `topic`.
fn wait_serving(old: i32, topic: &str, t0: Instant) -> Option<Phases> {
    let deadline = Instant::now() + SERVE_DEADLINE;
    let (mut postgres_ms, mut worker_ms) = (None, None);
    let since = |t0: Instant| t0.elapsed().as_millis() as u64;
    while Instant::now() < deadline {
        let pid = match worker_pid_once() {
            Ok(pid) => {
                postgres_ms.get_or_insert_with(|| since(t0));
                pid
            }
            Err(_) => None,
        };
        if pid.is_some_and(|pid| pid != old && alive(pid)) {
            worker_ms.get_or_insert_with(|| since(t0));
            let c = consumer(&[]);
            if (0..PARTITIONS).all(|p| c.fetch_watermarks(topic, p, Duration::from_secs(2)).is_ok())
            {
                let serving_ms = since(t0);
                return Some(Phases {
                    postgres_ms: postgres_ms.unwrap_or(serving_ms),
                    worker_ms: worker_ms.unwrap_or(serving_ms),
                    serving_ms,
                });
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// Pause and flush the producers, check the invariants on a quiet broker, resume.
fn quiet_checks(shared: &Shared, topic: &str, group: &str, seen: &mut Seen, v: &mut Violations) {
    shared.idle.store(0, Ordering::SeqCst);
    shared.paused.store(true, Ordering::SeqCst);
    let deadline = Instant::now() + SERVE_DEADLINE;
    while shared.idle.load(Ordering::SeqCst) < PRODUCERS.len() as u64 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let acked = shared.acked.lock().expect("acked lock").clone();
    checks::watermarks(topic, PARTITIONS, &acked, seen, v);
    let committed = shared.committed.lock().expect("committed lock").clone();
    checks::group_offsets(topic, group, PARTITIONS, &committed, seen, v);
    checks::consistency(v);
    shared.paused.store(false, Ordering::SeqCst);
}
