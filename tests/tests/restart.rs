//! Durability across a cluster restart: records written before come back at the same offsets
//! with the same bytes, and new records continue the offset sequence without gap or reuse.
//!
//! Runs alone in its own test binary because it restarts the broker. PG_KAFKA_RESTART_CMD is a
//! shell command that restarts the cluster and waits until the Kafka port accepts connections.

use std::process::Command;

use pg_kafka_tests::*;

fn batch_of(from: u32, to: u32) -> Vec<Rec> {
    (from..to)
        .map(|i| Rec {
            partition: Some(0),
            key: Some(format!("k{i}").into_bytes()),
            value: Some(format!("value {i}").into_bytes()),
            headers: vec![
                ("h".to_string(), Some(vec![i as u8, 0xff])),
                ("h".to_string(), None),
            ],
            ..Rec::default()
        })
        .collect()
}

fn assert_same(recs: &[Rec], got: &[Got], first_offset: i64) {
    assert_eq!(got.len(), recs.len());
    for (i, (r, g)) in recs.iter().zip(got).enumerate() {
        assert_eq!(g.offset, first_offset + i as i64, "offset of record {i}");
        assert_eq!(g.key, r.key, "key of record {i}");
        assert_eq!(g.value, r.value, "value of record {i}");
        assert_eq!(g.headers, r.headers, "headers of record {i}");
    }
}

#[test]
fn records_and_offsets_survive_a_restart() {
    let cmd = std::env::var("PG_KAFKA_RESTART_CMD")
        .expect("PG_KAFKA_RESTART_CMD must be set to a command that restarts the cluster");
    let topic = unique_topic("restart");

    let before = batch_of(0, 100);
    let offsets = produce_all(&producer(&[]), &topic, &before);
    assert_eq!(offsets, (0..100).map(|o| (0, o)).collect::<Vec<_>>());

    let status = Command::new("bash")
        .arg("-c")
        .arg(&cmd)
        .status()
        .expect("run PG_KAFKA_RESTART_CMD");
    assert!(status.success(), "restart command failed: {status}");

    assert_eq!(watermarks(&topic, 0), (0, 100), "watermarks after restart");
    assert_same(&before, &consume(&topic, 0, 0, 100), 0);

    let after = batch_of(100, 150);
    let offsets = produce_all(&producer(&[]), &topic, &after);
    assert_eq!(
        offsets,
        (100..150).map(|o| (0, o)).collect::<Vec<_>>(),
        "offsets continue after the restart"
    );
    let all: Vec<Rec> = before.iter().chain(&after).cloned().collect();
    assert_same(&all, &consume(&topic, 0, 0, 150), 0);

    // The tables agree with what the broker serves.
    let rows = sql_records(&mut pg_client(), "kafka.read_records($1)", &topic);
    let offsets: Vec<i64> = rows.iter().map(|r| r.offset).collect();
    assert_eq!(
        offsets,
        (0..150).collect::<Vec<i64>>(),
        "offsets in kafka.read_records"
    );
    for (r, row) in all.iter().zip(&rows) {
        assert_eq!(row.value, r.value, "SQL value at offset {}", row.offset);
    }
}
