//! Committed offsets and group metadata survive a cluster restart: a member of the same group
//! resumes exactly after the committed offsets (no duplicate, no loss), kafka.consumer_lag shows
//! the committed offsets, and ListGroups still names the group.
//!
//! Runs alone in its own test binary because it restarts the broker. PG_KAFKA_RESTART_CMD is a
//! shell command that restarts the cluster and waits until the Kafka port accepts connections.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use pg_kafka_tests::groups::*;
use pg_kafka_tests::*;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{Offset, TopicPartitionList};

const PARTITIONS: i32 = 3;
const PER_PARTITION: i64 = 20;

/// Polls until `n` records arrived; returns them in arrival order.
fn poll_n(c: &BaseConsumer<RebalanceLog>, n: usize) -> Vec<Got> {
    let mut out = Vec::new();
    let deadline = Instant::now() + PATIENCE;
    while out.len() < n {
        assert!(
            Instant::now() < deadline,
            "only {} of {n} records arrived",
            out.len()
        );
        match c.poll(Duration::from_millis(200)) {
            None => {}
            Some(Ok(m)) => out.push(got(&m)),
            Some(Err(e)) => panic!("group consume: {e}"),
        }
    }
    out
}

/// Offsets per partition, in arrival order.
fn offsets_by_partition(got: &[Got]) -> BTreeMap<i32, Vec<i64>> {
    let mut m: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for g in got {
        m.entry(g.partition).or_default().push(g.offset);
    }
    m
}

/// Commits, for every partition, the offset after the last record read.
fn commit_after(c: &BaseConsumer<RebalanceLog>, topic: &str, read: &BTreeMap<i32, Vec<i64>>) {
    let mut tpl = TopicPartitionList::new();
    for (p, offsets) in read {
        let next = offsets.last().expect("a record") + 1;
        tpl.add_partition_offset(topic, *p, Offset::Offset(next))
            .expect("tpl");
    }
    c.commit(&tpl, CommitMode::Sync).expect("commit");
}

/// (partition, committed_offset, high_watermark, lag) rows of kafka.consumer_lag.
fn lag_rows(group: &str, topic: &str) -> Vec<(i32, i64, i64, i64)> {
    pg_client()
        .query(
            "SELECT partition, committed_offset, high_watermark, lag FROM kafka.consumer_lag \
              WHERE group_id = $1 AND topic = $2 ORDER BY partition",
            &[&group, &topic],
        )
        .expect("query kafka.consumer_lag")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
}

#[test]
fn a_group_resumes_exactly_at_its_committed_offsets_after_a_restart() {
    let cmd = std::env::var("PG_KAFKA_RESTART_CMD")
        .expect("PG_KAFKA_RESTART_CMD must be set to a command that restarts the cluster");
    let topic = unique_topic("groups-restart");
    let group = unique_topic("groups-restart-id");
    create_topic(&topic, PARTITIONS);
    let recs: Vec<Rec> = (0..PARTITIONS)
        .flat_map(|p| {
            (0..PER_PARTITION).map(move |o| Rec {
                partition: Some(p),
                ..Rec::kv(format!("k{p}").as_bytes(), format!("p{p}-v{o}").as_bytes())
            })
        })
        .collect();
    let n = recs.len();
    produce_all(&producer(&[]), &topic, &recs);

    // Read and commit K records: per partition, a prefix in offset order.
    let k = 25;
    let first = member(&group, &[]);
    first.subscribe(&[&topic]).expect("subscribe");
    let read = offsets_by_partition(&poll_n(&first, k));
    for (p, offsets) in &read {
        assert_eq!(
            *offsets,
            (0..offsets.len() as i64).collect::<Vec<_>>(),
            "partition {p} is read in order from the start"
        );
    }
    commit_after(&first, &topic, &read);
    drop(first);
    let committed: BTreeMap<i32, i64> = (0..PARTITIONS)
        .map(|p| (p, read.get(&p).map_or(0, |o| o.len() as i64)))
        .collect();

    let status = Command::new("bash")
        .arg("-c")
        .arg(&cmd)
        .status()
        .expect("run PG_KAFKA_RESTART_CMD");
    assert!(status.success(), "restart command failed: {status}");

    // The lag view shows exactly the committed offsets (partitions never committed have no row).
    let expected_lag: Vec<(i32, i64, i64, i64)> = read
        .keys()
        .map(|p| {
            let c = committed[p];
            (*p, c, PER_PARTITION, PER_PARTITION - c)
        })
        .collect();
    assert_eq!(lag_rows(&group, &topic), expected_lag, "kafka.consumer_lag");

    // The group is still known to the coordinator.
    let second = member(&group, &[]);
    let list = second
        .fetch_group_list(Some(&group), PATIENCE)
        .expect("DescribeGroups after the restart");
    let info = list
        .groups()
        .iter()
        .find(|g| g.name() == group)
        .expect("group described after the restart");
    assert_eq!(info.state(), "Empty");
    assert_eq!(info.protocol_type(), "consumer");

    // The rest, exactly: every partition continues at its committed offset, nothing is repeated
    // and nothing is skipped.
    second
        .subscribe(&[&topic])
        .expect("subscribe after restart");
    let rest = poll_n(&second, n - k);
    let rest_offsets = offsets_by_partition(&rest);
    for p in 0..PARTITIONS {
        assert_eq!(
            rest_offsets.get(&p).cloned().unwrap_or_default(),
            (committed[&p]..PER_PARTITION).collect::<Vec<_>>(),
            "partition {p} resumes at its committed offset {}",
            committed[&p]
        );
    }
    for g in &rest {
        assert_eq!(
            g.value.as_deref(),
            Some(format!("p{}-v{}", g.partition, g.offset).as_bytes()),
            "value at {}/{}",
            g.partition,
            g.offset
        );
    }

    // Committing the end leaves no lag.
    commit_after(&second, &topic, &rest_offsets);
    let lags: Vec<i64> = lag_rows(&group, &topic).iter().map(|r| r.3).collect();
    assert_eq!(
        lags,
        vec![0; PARTITIONS as usize],
        "no lag after the end is committed"
    );
}
