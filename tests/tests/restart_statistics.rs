//! A worker that starts while kafka.batches has no planner statistics analyzes it before it
//! recovers: without them Postgres sorts a whole partition for every chunk the worker reads
//! (src/pg/statistics.rs has the measurement).
//!
//! Runs alone in its own test binary because it restarts the broker (PG_KAFKA_RESTART_CMD) and
//! reads the server log (PG_KAFKA_SERVER_LOG).

use std::process::Command;

use pg_kafka_tests::*;

const STATISTICS: &str =
    "SELECT count(*) FROM pg_catalog.pg_statistic WHERE starelid = 'kafka.batches'::regclass";

#[test]
fn a_worker_starting_without_statistics_analyzes_the_batches_table() {
    let cmd = std::env::var("PG_KAFKA_RESTART_CMD")
        .expect("PG_KAFKA_RESTART_CMD must be set to a command that restarts the cluster");
    let log = std::env::var("PG_KAFKA_SERVER_LOG")
        .expect("PG_KAFKA_SERVER_LOG must name the cluster's server log");
    let topic = unique_topic("statistics");
    let recs: Vec<Rec> = (0..200)
        .map(|i| Rec {
            partition: Some(0),
            value: Some(format!("value {i}").into_bytes()),
            ..Rec::default()
        })
        .collect();
    produce_all(&producer(&[]), &topic, &recs);

    // Autovacuum must not analyze the table between here and the worker's start.
    let mut pg = pg_client();
    pg.batch_execute(
        "ALTER TABLE kafka.batches SET (autovacuum_enabled = off);
         DELETE FROM pg_catalog.pg_statistic WHERE starelid = 'kafka.batches'::regclass",
    )
    .expect("drop the statistics");
    let before: i64 = pg.query_one(STATISTICS, &[]).expect("count").get(0);
    let log_from = std::fs::metadata(&log).map_or(0, |m| m.len()) as usize;

    let status = Command::new("bash").arg("-c").arg(&cmd).status();
    let mut pg = pg_client();
    let after: i64 = pg.query_one(STATISTICS, &[]).expect("count").get(0);
    pg.batch_execute("ALTER TABLE kafka.batches RESET (autovacuum_enabled)")
        .expect("re-enable autovacuum");
    assert!(
        status.as_ref().is_ok_and(|s| s.success()),
        "restart: {status:?}"
    );

    assert_eq!(before, 0);
    assert!(
        after > 0,
        "kafka.batches has no statistics after the restart"
    );
    let text = std::fs::read(&log).expect("read the server log");
    let since = String::from_utf8_lossy(&text[log_from.min(text.len())..]).into_owned();
    assert!(
        since.contains("kafka.batches had no planner statistics: analyzed"),
        "the worker did not report analyzing kafka.batches:\n{since}"
    );
    let got = consume(&topic, 0, 0, 200);
    assert_eq!(
        got.iter().map(|g| g.offset).collect::<Vec<_>>(),
        (0..200).collect::<Vec<i64>>()
    );
}
