//! A pg_dump of the broker's database restores into a fresh cluster with everything a client
//! relies on: every record at its offset (plain, compressed, transactional, with headers), the
//! aborted transaction still hidden from read_committed, committed group offsets, and producer
//! state (a retried idempotent batch is still recognised as a duplicate).
//!
//! The second cluster comes from the Makefile (`PG_KAFKA_SPARE_*`); the test starts, restores,
//! restarts and stops it with scripts/cluster.sh, as a DBA would with pg_ctl.

use std::process::Command;
use std::time::Duration;

use pg_kafka_tests::batch::{self, Producer};
use pg_kafka_tests::raw;
use pg_kafka_tests::*;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::Producer as _;
use rdkafka::{Offset, TopicPartitionList};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set (make blackbox sets it)"))
}

/// Run scripts/cluster.sh `cmd` for the spare cluster.
fn spare(cmd: &str) {
    let script = env("PG_KAFKA_CLUSTER_SCRIPT");
    let status = Command::new("bash")
        .arg(&script)
        .arg(cmd)
        .env("PGDATA", env("PG_KAFKA_SPARE_PGDATA"))
        .env("PGPORT", env("PG_KAFKA_SPARE_PGPORT"))
        .env("PG_KAFKA_PORT", env("PG_KAFKA_SPARE_KAFKA_PORT"))
        .status()
        .expect("run cluster.sh");
    assert!(status.success(), "cluster.sh {cmd} for the spare cluster");
}

fn pg_bin(tool: &str) -> String {
    format!(
        "{}/{tool}",
        std::env::var("PGBIN").unwrap_or_else(|_| "/usr/lib/postgresql/15/bin".into())
    )
}

fn psql(port: &str, sql: &str) {
    let status = Command::new(pg_bin("psql"))
        .args([
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            port,
        ])
        .args(["-U", "postgres", "-d", "postgres", "-c", sql])
        .status()
        .expect("run psql");
    assert!(status.success(), "psql: {sql}");
}

fn committed(group: &str, topic: &str, partitions: i32) -> Vec<i64> {
    let c: BaseConsumer = consumer_config(&[("group.id", group)])
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(topic, p);
    }
    let got = c
        .committed_offsets(tpl, PATIENCE)
        .expect("committed offsets");
    got.elements()
        .iter()
        .map(|e| match e.offset() {
            Offset::Offset(o) => o,
            other => panic!(
                "no committed offset for {topic}/{}: {other:?}",
                e.partition()
            ),
        })
        .collect()
}

#[test]
fn a_dump_restores_records_offsets_groups_and_producer_state() {
    let topic = unique_topic("backup");
    let recs = |prefix: &str, n: usize, partition: i32| -> Vec<Rec> {
        (0..n)
            .map(|i| Rec {
                partition: Some(partition),
                key: Some(format!("{prefix}-k{i}").into_bytes()),
                value: Some(format!("{prefix}-v{i}").into_bytes()),
                headers: vec![
                    ("h".into(), Some(format!("{i}").into_bytes())),
                    ("h".into(), None),
                ],
                ..Rec::default()
            })
            .collect()
    };
    pg_kafka_tests::groups::create_topic(&topic, 2);
    // Plain on partition 0, gzip-compressed on partition 1.
    produce_all(&producer(&[]), &topic, &recs("plain", 30, 0));
    produce_all(
        &producer(&[("compression.type", "gzip")]),
        &topic,
        &recs("gzip", 30, 1),
    );
    // One committed and one aborted transaction on partition 0.
    let tid = unique_topic("backup-txn");
    let tx = producer(&[("transactional.id", &tid), ("enable.idempotence", "true")]);
    tx.init_transactions(PATIENCE).expect("init_transactions");
    tx.begin_transaction().expect("begin");
    produce_all(&tx, &topic, &recs("committed", 5, 0));
    tx.commit_transaction(PATIENCE).expect("commit");
    tx.begin_transaction().expect("begin");
    produce_all(&tx, &topic, &recs("aborted", 5, 0));
    tx.abort_transaction(PATIENCE).expect("abort");
    // Committed group offsets.
    let group = unique_topic("backup-group");
    let c: BaseConsumer = consumer_config(&[("group.id", &group)])
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(&topic, 0, Offset::Offset(17))
        .unwrap();
    tpl.add_partition_offset(&topic, 1, Offset::Offset(23))
        .unwrap();
    c.commit(&tpl, CommitMode::Sync).expect("commit offsets");
    drop(c);
    // An idempotent producer's batch, kept to be retried after the restore.
    let (pid, epoch) = raw::init_producer_id();
    let idem = batch::idempotent_batch(
        Producer {
            id: pid,
            epoch,
            base_sequence: 0,
        },
        &[(&b"ik"[..], &b"iv0"[..]), (&b"ik"[..], &b"iv1"[..])],
        now_ms(),
    );
    let mut s = raw::connect();
    let (code, idem_offset) = raw::produce_one(&mut s, 1, &topic, 1, &idem);
    assert_eq!(code, 0, "idempotent batch");
    drop(s);

    // Everything, aborted records included (librdkafka reads committed data by default).
    let all = |p: i32, n: usize| {
        let c = consumer(&[("isolation.level", "read_uncommitted")]);
        consume_with(&c, &topic, p, 0, n)
    };
    let before0 = all(0, 40);
    let before1 = all(1, 32);
    let marks = (watermarks(&topic, 0), watermarks(&topic, 1));

    // Dump, then restore into a fresh cluster with the extension preloaded.
    let dump = format!(
        "{}/backup-{}.dump",
        env("PG_KAFKA_SCRATCH"),
        std::process::id()
    );
    let src_port = pg_url()
        .rsplit(':')
        .next()
        .and_then(|p| p.split('/').next())
        .expect("port in PG_KAFKA_PGURL")
        .to_string();
    let status = Command::new(pg_bin("pg_dump"))
        .args([
            "-Fc",
            "-h",
            "127.0.0.1",
            "-p",
            &src_port,
            "-U",
            "postgres",
            "-d",
            "postgres",
        ])
        .args(["-f", &dump])
        .status()
        .expect("run pg_dump");
    assert!(status.success(), "pg_dump");
    spare("stop");
    let _ = std::fs::remove_dir_all(env("PG_KAFKA_SPARE_PGDATA"));
    spare("start");
    let spare_port = env("PG_KAFKA_SPARE_PGPORT");
    // A fresh database, as a DBA restores into: no pg_kafka objects yet.
    psql(
        &spare_port,
        "DROP EXTENSION pg_kafka; DROP SCHEMA IF EXISTS kafka CASCADE",
    );
    let status = Command::new(pg_bin("pg_restore"))
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &spare_port,
            "-U",
            "postgres",
            "-d",
            "postgres",
        ])
        .args(["--no-owner", &dump])
        .status()
        .expect("run pg_restore");
    assert!(status.success(), "pg_restore");
    let _ = std::fs::remove_file(&dump);
    // The worker rebuilds its memory from the restored tables when it starts.
    spare("restart");

    // From here on the clients talk to the restored broker.
    std::env::set_var(
        "PG_KAFKA_BOOTSTRAP",
        format!("127.0.0.1:{}", env("PG_KAFKA_SPARE_KAFKA_PORT")),
    );
    assert_eq!(
        (watermarks(&topic, 0), watermarks(&topic, 1)),
        marks,
        "same log starts and high watermarks"
    );
    assert_eq!(all(0, 40), before0, "partition 0, byte for byte");
    assert_eq!(all(1, 32), before1, "partition 1 (gzip), byte for byte");
    let rc = consume_with(
        &consumer(&[("isolation.level", "read_committed")]),
        &topic,
        0,
        30,
        5,
    );
    let values: Vec<String> = rc
        .iter()
        .map(|g| String::from_utf8_lossy(g.value.as_deref().unwrap_or_default()).into_owned())
        .collect();
    assert!(
        values.iter().all(|v| v.starts_with("committed-")),
        "{values:?}"
    );
    assert_eq!(committed(&group, &topic, 2), vec![17, 23], "group offsets");
    // The retried idempotent batch is a duplicate: its original offset, nothing appended.
    let mut s = raw::connect();
    let (code, offset) = raw::produce_one(&mut s, 2, &topic, 1, &idem);
    assert!(code == 0 || code == 46, "retry after restore: error {code}");
    assert_eq!(offset, idem_offset, "a duplicate gets its original offset");
    assert_eq!(watermarks(&topic, 1), marks.1, "nothing appended");
    std::thread::sleep(Duration::from_millis(100));
    spare("stop");
    spare("check-log");
}
