//! pg_kafka benchmark: one JSON line per scenario on stdout, progress on stderr.
//!
//! Runs against a live broker (`PG_KAFKA_BOOTSTRAP`, `PG_KAFKA_PGURL`; `make bench` sets both for
//! the `make up` cluster). `PG_KAFKA_BENCH_SCALE` (default 1.0) scales every record count, e.g.
//! 0.05 for a smoke run; `PG_KAFKA_BENCH_ONLY=kafka|eos|groups|postgres|restart|cleaner|abuse|security` (comma-separated) runs some groups. Measures, never asserts: see docs/performance.md for the method.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pg_kafka_tests::bench::*;
use pg_kafka_tests::*;
use postgres::types::ToSql;
use rdkafka::consumer::Consumer;
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::json;

fn scale() -> f64 {
    std::env::var("PG_KAFKA_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|s: &f64| *s > 0.0)
        .unwrap_or(1.0)
}

fn scaled(n: usize) -> usize {
    ((n as f64 * scale()) as usize).max(1)
}

/// `PG_KAFKA_BENCH_ONLY=kafka` or `=postgres` runs one group of scenarios; unset runs all.
fn enabled(group: &str) -> bool {
    std::env::var("PG_KAFKA_BENCH_ONLY")
        .map(|only| only.split(',').any(|g| g.trim() == group))
        .unwrap_or(true)
}

/// Produces `count` records of `size` bytes to partition 0 of a new topic with acks=all and
/// linger.ms=5; the clock runs from the first send to the last delivery report.
fn produce_scenario(size: usize, count: usize) -> String {
    produce_over(size, count, &[], "")
}

/// `produce_scenario` with more client settings (a listener, security) and a scenario suffix.
fn produce_over(size: usize, count: usize, settings: &[(&str, &str)], suffix: &str) -> String {
    let topic = unique_topic(&format!("bench-produce-{size}"));
    let mut config = vec![
        ("acks", "all"),
        ("linger.ms", "5"),
        ("queue.buffering.max.messages", "1000000"),
        ("queue.buffering.max.kbytes", "1048576"),
    ];
    config.extend_from_slice(settings);
    let p = producer(&config);
    // Create the topic outside the measurement.
    produce_all(&p, &topic, &[Rec::kv(b"warmup", b"warmup")]);
    let value = payload(size, 42);
    eprintln!("produce {count} x {size} B to {topic}");
    let start = Instant::now();
    for i in 0..count {
        let rec: BaseRecord<'_, [u8], [u8], Box<usize>> =
            BaseRecord::with_opaque_to(&topic, Box::new(i))
                .partition(0)
                .payload(&value[..]);
        send_waiting(&p, rec);
        if i % 1000 == 0 {
            p.poll(Duration::ZERO);
        }
    }
    assert!(drain(&p, Duration::from_secs(600)), "flush");
    let secs = start.elapsed().as_secs_f64();
    let failed = p
        .context()
        .deliveries
        .lock()
        .expect("lock")
        .iter()
        .filter(|d| d.result.is_err())
        .count();
    emit(json!({
        "scenario": format!("produce_{size}B_acks_all{suffix}"),
        "records": count,
        "record_bytes": size,
        "failed": failed,
        "seconds": (secs * 1000.0).round() / 1000.0,
        "msgs_per_s": rate(count, secs),
        "mb_per_s": mb_rate(count * size, secs),
    }));
    topic
}

/// How the exactly-once produce scenarios produce.
#[derive(Clone, Copy)]
enum Eos {
    /// enable.idempotence=true.
    Idempotent,
    /// A transactional producer committing every `n` records.
    Transactional(usize),
}

/// As `produce_scenario` (acks=all, linger.ms=5, partition 0 of a new topic), with an idempotent
/// or transactional producer. The topic is created (warmup record) by a plain producer and
/// init_transactions runs before the clock starts; commits are inside the measurement.
fn eos_produce_scenario(size: usize, count: usize, mode: Eos) {
    let name = match mode {
        Eos::Idempotent => "idempotent",
        Eos::Transactional(_) => "transactional",
    };
    let topic = unique_topic(&format!("bench-produce-{size}-{name}"));
    produce_all(&producer(&[]), &topic, &[Rec::kv(b"warmup", b"warmup")]);
    let txn_id = unique_topic("bench-txn");
    let mut cfg = vec![
        ("acks", "all"),
        ("linger.ms", "5"),
        ("queue.buffering.max.messages", "1000000"),
        ("queue.buffering.max.kbytes", "1048576"),
        ("enable.idempotence", "true"),
    ];
    if let Eos::Transactional(_) = mode {
        cfg.push(("transactional.id", txn_id.as_str()));
    }
    let p = producer(&cfg);
    let every = match mode {
        Eos::Transactional(n) => {
            p.init_transactions(Duration::from_secs(60))
                .expect("init_transactions");
            Some(n.max(1))
        }
        Eos::Idempotent => None,
    };
    let value = payload(size, 42);
    eprintln!("produce {count} x {size} B to {topic} ({name})");
    let start = Instant::now();
    for i in 0..count {
        if let Some(n) = every {
            if i % n == 0 {
                if i > 0 {
                    // Reports first: commit_transaction's own flush would sleep (see `drain`).
                    drain(&p, Duration::from_secs(600));
                    p.commit_transaction(Duration::from_secs(600))
                        .expect("commit_transaction");
                }
                p.begin_transaction().expect("begin_transaction");
            }
        }
        let rec: BaseRecord<'_, [u8], [u8], Box<usize>> =
            BaseRecord::with_opaque_to(&topic, Box::new(i))
                .partition(0)
                .payload(&value[..]);
        send_waiting(&p, rec);
        if i % 1000 == 0 {
            p.poll(Duration::ZERO);
        }
    }
    if every.is_some() {
        drain(&p, Duration::from_secs(600));
        p.commit_transaction(Duration::from_secs(600))
            .expect("commit_transaction");
    }
    assert!(drain(&p, Duration::from_secs(600)), "flush");
    let secs = start.elapsed().as_secs_f64();
    let deliveries = p.context().deliveries.lock().expect("lock").clone();
    let failed = deliveries.iter().filter(|d| d.result.is_err()).count();
    let mut v = json!({
        "scenario": format!("produce_{size}B_{name}"),
        "records": count,
        "record_bytes": size,
        "failed": failed,
        "delivered": deliveries.len() - failed,
        "seconds": (secs * 1000.0).round() / 1000.0,
        "msgs_per_s": rate(count, secs),
        "mb_per_s": mb_rate(count * size, secs),
    });
    if let Some(n) = every {
        v["commit_every"] = json!(n);
    }
    emit(v);
}

/// Reads `count` records from offset 1 (after the warmup record) of `topic`.
fn consume_scenario(topic: &str, size: usize, count: usize) {
    // librdkafka stops fetching a partition whose local queue holds queued.min.messages
    // (default 100,000) and waits fetch.queue.backoff.ms (default 1 s) before it looks again:
    // one 10 MB fetch of 100 B records passes that, and the wait, not the broker, would set the
    // rate. The queue stays bounded by queued.max.messages.kbytes.
    let c = consumer(&[
        ("fetch.max.bytes", "52428800"),
        ("fetch.message.max.bytes", "10485760"),
        ("queued.max.messages.kbytes", "1048576"),
        ("queued.min.messages", "10000000"),
    ]);
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Offset(1))
        .expect("tpl");
    c.assign(&tpl).expect("assign");
    let start = Instant::now();
    let mut n = 0usize;
    let mut bytes = 0usize;
    let deadline = start + Duration::from_secs(600);
    while n < count && Instant::now() < deadline {
        if let Some(Ok(m)) = c.poll(Duration::from_millis(100)) {
            n += 1;
            bytes += m.payload().map(<[u8]>::len).unwrap_or(0);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    emit(json!({
        "scenario": format!("consume_{size}B_from_start"),
        "records": n,
        "record_bytes": size,
        "seconds": (secs * 1000.0).round() / 1000.0,
        "msgs_per_s": rate(n, secs),
        "mb_per_s": mb_rate(bytes, secs),
    }));
}

/// Produces at a steady `rate` msg/s for `secs` with acks=all; a consumer thread reads each
/// record and measures now minus the send time carried in the payload.
fn latency_scenario(rate_per_s: u64, secs: u64) {
    let topic = unique_topic("bench-latency");
    let p = producer(&[("acks", "all"), ("linger.ms", "0")]);
    produce_all(&p, &topic, &[Rec::kv(b"warmup", b"warmup")]);
    let total = (rate_per_s * secs) as usize;

    // The consumer assigns and issues its first fetch before the clock starts.
    let lat = paced_latencies(
        &p,
        &topic,
        Offset::Offset(1),
        rate_per_s,
        total,
        &payload(92, 7),
        Duration::from_secs(1),
    );
    emit(json!({
        "scenario": "e2e_latency_acks_all",
        "rate_msgs_per_s": rate_per_s,
        "seconds": secs,
        "sent": total,
        "received": lat.len(),
        "p50_ms": percentile(&lat, 0.50),
        "p99_ms": percentile(&lat, 0.99),
        "max_ms": percentile(&lat, 1.0),
    }));
}

/// The Postgres floor: COPY and multi-row INSERT of the same payloads into a plain table.
fn postgres_floor(size: usize, count: usize, rows_per_insert: usize) {
    let mut pg = pg_client();
    let table = format!("bench_floor_{}", std::process::id());
    pg.batch_execute(&format!(
        "DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (id bigint, payload bytea)"
    ))
    .expect("create floor table");
    let value = payload(size, 42);

    let start = Instant::now();
    copy_rows(&mut pg, &table, &value, count);
    let secs = start.elapsed().as_secs_f64();
    emit(json!({
        "scenario": format!("postgres_copy_{size}B"),
        "rows": count,
        "seconds": (secs * 1000.0).round() / 1000.0,
        "rows_per_s": rate(count, secs),
        "mb_per_s": mb_rate(count * size, secs),
    }));

    pg.batch_execute(&format!("TRUNCATE {table}"))
        .expect("truncate");
    let placeholders: Vec<String> = (0..rows_per_insert)
        .map(|r| format!("(${}, ${})", 2 * r + 1, 2 * r + 2))
        .collect();
    let stmt = pg
        .prepare(&format!(
            "INSERT INTO {table} (id, payload) VALUES {}",
            placeholders.join(", ")
        ))
        .expect("prepare multi-row INSERT");
    let statements = count.div_ceil(rows_per_insert);
    let start = Instant::now();
    for s in 0..statements {
        let ids: Vec<i64> = (0..rows_per_insert)
            .map(|r| (s * rows_per_insert + r) as i64)
            .collect();
        let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(2 * rows_per_insert);
        for id in &ids {
            params.push(id);
            params.push(&value);
        }
        pg.execute(&stmt, &params).expect("multi-row INSERT");
    }
    let secs = start.elapsed().as_secs_f64();
    let rows = statements * rows_per_insert;
    emit(json!({
        "scenario": format!("postgres_insert_{size}B_{rows_per_insert}_rows_per_statement"),
        "rows": rows,
        "seconds": (secs * 1000.0).round() / 1000.0,
        "rows_per_s": rate(rows, secs),
        "mb_per_s": mb_rate(rows * size, secs),
    }));
    pg.batch_execute(&format!("DROP TABLE {table}"))
        .expect("drop floor table");
}

fn main() {
    eprintln!(
        "pg_kafka bench: broker {}, postgres {}, scale {}",
        bootstrap(),
        pg_url(),
        scale()
    );
    let n100 = scaled(200_000);
    let n1k = scaled(100_000);
    if enabled("kafka") {
        let t100 = produce_scenario(100, n100);
        let t1k = produce_scenario(1024, n1k);
        consume_scenario(&t100, 100, n100);
        consume_scenario(&t1k, 1024, n1k);
        latency_scenario(500, ((10.0 * scale()).ceil() as u64).max(2));
    }
    if enabled("eos") {
        // Next to produce_1024B_acks_all: same record count and settings.
        eos_produce_scenario(1024, n1k, Eos::Idempotent);
        eos_produce_scenario(1024, n1k, Eos::Transactional(1000));
    }
    if enabled("groups") {
        group_join_scenario(2);
        group_join_scenario(10);
        heartbeat_scenario(false);
        heartbeat_scenario(true);
    }
    if enabled("postgres") {
        postgres_floor(1024, n1k, 1000);
    }
    if enabled("restart") {
        restart_scenario(scaled(10_000_000), 50);
    }
    if enabled("cleaner") {
        pg_kafka_tests::bench_cleaner::run(
            ((10.0 * scale()).round() as usize).max(2),
            ((10.0 * scale()).ceil() as u64).max(2),
        );
        pg_kafka_tests::bench_cleaner::sustained(
            100_000,
            ((120.0 * scale()).ceil() as u64).max(10),
            10,
        );
    }
    if enabled("abuse") {
        pg_kafka_tests::bench_abuse::run();
    }
    if enabled("security") {
        security_scenarios(n1k);
    }
}

/// Recovery time: `records` 100 B records over `partitions` partitions are stored, the cluster is
/// restarted (PG_KAFKA_RESTART_CMD), and the clock runs from the moment the old listener is gone
/// to the first answered Metadata request and to the first record fetched from a partition's tail.
fn restart_scenario(records: usize, partitions: i32) {
    let Ok(cmd) = std::env::var("PG_KAFKA_RESTART_CMD") else {
        eprintln!("restart scenario skipped: PG_KAFKA_RESTART_CMD is not set");
        return;
    };
    let topic = unique_topic("bench-restart");
    let admin: rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext> =
        base_config().create().expect("admin");
    block_on(admin.create_topics(
        &[rdkafka::admin::NewTopic::new(
            &topic,
            partitions,
            rdkafka::admin::TopicReplication::Fixed(1),
        )],
        &rdkafka::admin::AdminOptions::new(),
    ))
    .expect("create topic");
    let p = producer(&[
        ("acks", "all"),
        ("linger.ms", "5"),
        ("queue.buffering.max.messages", "1000000"),
        ("queue.buffering.max.kbytes", "1048576"),
    ]);
    let value = payload(100, 9);
    eprintln!("restart scenario: storing {records} x 100 B over {partitions} partitions");
    for i in 0..records {
        let rec: BaseRecord<'_, [u8], [u8], Box<usize>> =
            BaseRecord::with_opaque_to(&topic, Box::new(0))
                .partition((i % partitions as usize) as i32)
                .payload(&value[..]);
        send_waiting(&p, rec);
        if i % 10_000 == 0 {
            p.poll(Duration::ZERO);
            p.context().deliveries.lock().expect("lock").clear();
        }
    }
    assert!(drain(&p, Duration::from_secs(1200)), "flush");
    drop(p);

    let restart = std::thread::spawn(move || {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(&cmd)
            .status()
            .expect("run PG_KAFKA_RESTART_CMD")
    });
    let addr = bootstrap();
    let up = |addr: &str| std::net::TcpStream::connect(addr).is_ok();
    let deadline = Instant::now() + Duration::from_secs(120);
    while up(&addr) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    let down = Instant::now();
    let metadata_ms = loop {
        assert!(Instant::now() < deadline, "broker did not come back");
        if let Ok(mut s) = std::net::TcpStream::connect(&addr) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
            // Metadata v1 for all topics: a null topics array.
            let req = raw::request(3, 1, 7, &(-1i32).to_be_bytes());
            if let raw::Outcome::Response(_) = raw::send_and_read(&mut s, &req) {
                break down.elapsed().as_secs_f64() * 1000.0;
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let c = consumer(&[]);
    let mut tpl = TopicPartitionList::new();
    let tail = (records / partitions as usize) as i64 - 1;
    tpl.add_partition_offset(&topic, 7, Offset::Offset(tail))
        .expect("tpl");
    c.assign(&tpl).expect("assign");
    let fetch_ms = loop {
        assert!(Instant::now() < deadline, "no record from the tail");
        if let Some(Ok(_)) = c.poll(Duration::from_millis(10)) {
            break down.elapsed().as_secs_f64() * 1000.0;
        }
    };
    let status = restart.join().expect("restart thread");
    assert!(status.success(), "restart command failed");
    emit(json!({
        "scenario": "restart_to_serving",
        "records": records,
        "partitions": partitions,
        "metadata_ms": metadata_ms,
        "first_tail_fetch_ms": fetch_ms,
        "note": "clock from the old listener closing: includes Postgres' own shutdown and start",
    }));
}

/// From the first JoinGroup of `members` members (started together) to the last SyncGroup
/// answer; median of 5 fresh groups. Includes the coordinator's initial rebalance delay.
fn group_join_scenario(members: usize) {
    let mut runs: Vec<u64> = (0..5)
        .map(|_| {
            let group = unique_topic("bench-group");
            bench_groups::join_to_stable(&group, members).as_micros() as u64
        })
        .collect();
    runs.sort_unstable();
    emit(json!({
        "scenario": format!("group_join_to_stable_{members}_members"),
        "runs": runs.len(),
        "median_ms": percentile(&runs, 0.5),
        "max_ms": percentile(&runs, 1.0),
    }));
}

/// Heartbeat round trips of a stable member, every 10 ms for 5 s; with `loaded`, a producer
/// sends 1 KiB records with acks=all as fast as it can meanwhile.
fn heartbeat_scenario(loaded: bool) {
    let count = scaled(500);
    let done = Arc::new(AtomicBool::new(false));
    let load = loaded.then(|| {
        let done = done.clone();
        let topic = unique_topic("bench-heartbeat-load");
        std::thread::spawn(move || {
            let p = producer(&[("acks", "all"), ("linger.ms", "5")]);
            let value = payload(1024, 3);
            let mut sent = 0u64;
            while !done.load(Ordering::Relaxed) {
                let rec: BaseRecord<'_, [u8], Vec<u8>, Box<usize>> =
                    BaseRecord::with_opaque_to(&topic, Box::new(0)).payload(&value);
                match p.send(rec) {
                    Ok(()) => sent += 1,
                    Err(_) => {
                        p.poll(Duration::from_millis(1));
                    }
                }
                p.poll(Duration::ZERO);
            }
            drain(&p, PATIENCE);
            sent
        })
    });
    if loaded {
        // Let the producer reach a steady state before measuring.
        std::thread::sleep(Duration::from_millis(500));
    }
    let group = unique_topic("bench-heartbeat");
    let mut rtts: Vec<u64> =
        bench_groups::heartbeat_round_trips(&group, count, Duration::from_millis(10))
            .into_iter()
            .map(|d| d.as_micros() as u64)
            .collect();
    done.store(true, Ordering::Relaxed);
    let produced = load.map(|h| h.join().expect("load thread"));
    rtts.sort_unstable();
    emit(json!({
        "scenario": if loaded { "heartbeat_rtt_under_produce_load" } else { "heartbeat_rtt_idle" },
        "heartbeats": rtts.len(),
        "p50_ms": percentile(&rtts, 0.5),
        "p99_ms": percentile(&rtts, 0.99),
        "max_ms": percentile(&rtts, 1.0),
        "records_produced_meanwhile": produced,
    }));
}

/// 1 KiB acks=all produce over PLAINTEXT and over SASL_SSL (SCRAM-SHA-256) one after the other,
/// then SCRAM logins per second on the SASL_PLAINTEXT listener, as a role made here. The
/// listeners come from `PG_KAFKA_BENCH_SASL`, `PG_KAFKA_BENCH_SASL_SSL` and the CA from
/// `PG_KAFKA_BENCH_TLS_CA` (the Makefile points them at the `make up` cluster's).
fn security_scenarios(count: usize) {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let (Some(sasl), Some(sasl_ssl), Some(ca)) = (
        var("PG_KAFKA_BENCH_SASL"),
        var("PG_KAFKA_BENCH_SASL_SSL"),
        var("PG_KAFKA_BENCH_TLS_CA"),
    ) else {
        emit(
            json!({"scenario": "security", "error": "PG_KAFKA_BENCH_SASL, _SASL_SSL and _TLS_CA are unset"}),
        );
        return;
    };
    let (user, password) = ("kafka_bench", "bench-password-0");
    pg_client()
        .batch_execute(&format!(
            "DO $$ BEGIN CREATE ROLE {user} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
             SET password_encryption = 'scram-sha-256'; ALTER ROLE {user} PASSWORD '{password}';
             SELECT kafka.grant_acl('{user}', 'ALL', t, '*')
               FROM unnest(ARRAY['TOPIC', 'GROUP', 'TRANSACTIONAL_ID']) AS t;
             SELECT kafka.grant_acl('{user}', 'ALL', 'CLUSTER')"
        ))
        .expect("create the bench role");
    produce_over(1024, count, &[], "_plaintext");
    produce_over(
        1024,
        count,
        &[
            ("bootstrap.servers", &sasl_ssl),
            ("security.protocol", "SASL_SSL"),
            ("ssl.ca.location", &ca),
            ("sasl.mechanisms", "SCRAM-SHA-256"),
            ("sasl.username", user),
            ("sasl.password", password),
        ],
        "_sasl_ssl",
    );
    let threads = 4;
    let duration = Duration::from_secs_f64((10.0 * scale()).max(2.0));
    let (good, failed, secs) =
        pg_kafka_tests::bench_security::scram_logins(&sasl, user, password, threads, duration);
    emit(json!({
        "scenario": "scram_logins",
        "threads": threads,
        "logins": good,
        "failed": failed,
        "seconds": (secs * 1000.0).round() / 1000.0,
        "logins_per_s": rate(good, secs),
    }));
}
