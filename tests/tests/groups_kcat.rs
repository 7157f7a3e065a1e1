//! `kcat -G` (librdkafka's balanced consumer) in a pg_kafka group: it reads everything, commits
//! on exit, the next run continues after the committed offsets, and ListGroups/DescribeGroups
//! show the group.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use pg_kafka_tests::groups::*;
use pg_kafka_tests::*;
use rdkafka::consumer::Consumer;

const PARTITIONS: i32 = 3;

/// Runs `kcat -G group topic ... -e` and returns its `partition offset value` lines sorted.
fn kcat_group(group: &str, topic: &str, extra: &[&str]) -> Vec<(i32, i64, String)> {
    let out = Command::new("kcat")
        .args(["-b", &bootstrap(), "-X", "broker.address.family=v4"])
        .args(["-X", "auto.offset.reset=earliest"])
        .args(["-G", group, topic, "-e", "-f", "%p %o %s\\n"])
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .expect("run kcat (apt-get install kcat)");
    assert!(
        out.status.success(),
        "kcat -G failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines: Vec<(i32, i64, String)> = String::from_utf8(out.stdout)
        .expect("kcat output is UTF-8")
        .lines()
        .map(|l| {
            let mut f = l.splitn(3, ' ');
            let p = f.next().and_then(|s| s.parse().ok()).expect("partition");
            let o = f.next().and_then(|s| s.parse().ok()).expect("offset");
            (p, o, f.next().unwrap_or_default().to_string())
        })
        .collect();
    lines.sort();
    lines
}

/// `count` records per partition, values `p{p}-v{o}` for offsets `from..from + count`.
fn records(from: i64, count: i64) -> Vec<Rec> {
    (0..PARTITIONS)
        .flat_map(|p| {
            (from..from + count).map(move |o| Rec {
                partition: Some(p),
                value: Some(format!("p{p}-v{o}").into_bytes()),
                ..Rec::default()
            })
        })
        .collect()
}

fn expected(from: i64, count: i64) -> Vec<(i32, i64, String)> {
    let mut v: Vec<(i32, i64, String)> = (0..PARTITIONS)
        .flat_map(|p| (from..from + count).map(move |o| (p, o, format!("p{p}-v{o}"))))
        .collect();
    v.sort();
    v
}

fn committed(group: &str, topic: &str) -> BTreeMap<i32, i64> {
    pg_client()
        .query(
            "SELECT partition, committed_offset FROM kafka.consumer_lag \
              WHERE group_id = $1 AND topic = $2",
            &[&group, &topic],
        )
        .expect("query kafka.consumer_lag")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[test]
fn kcat_group_consumes_everything_commits_and_continues_after_the_commit() {
    let topic = unique_topic("groups-kcat");
    let group = unique_topic("groups-kcat-id");
    create_topic(&topic, PARTITIONS);
    let p = producer(&[]);
    produce_all(&p, &topic, &records(0, 10));

    assert_eq!(
        kcat_group(&group, &topic, &["-o", "beginning"]),
        expected(0, 10),
        "kcat -G reads every record once"
    );
    assert_eq!(
        committed(&group, &topic),
        (0..PARTITIONS).map(|p| (p, 10)).collect(),
        "kcat committed the end of every partition"
    );

    produce_all(&p, &topic, &records(10, 5));
    assert_eq!(
        kcat_group(&group, &topic, &[]),
        expected(10, 5),
        "the next run starts at the committed offsets"
    );
    assert_eq!(
        committed(&group, &topic),
        (0..PARTITIONS).map(|p| (p, 15)).collect()
    );

    // ListGroups and DescribeGroups: the group is known, empty now that kcat has left.
    let c = member(&group, &[]);
    let all = c.fetch_group_list(None, PATIENCE).expect("ListGroups");
    let listed = all
        .groups()
        .iter()
        .find(|g| g.name() == group)
        .expect("ListGroups names the group");
    assert_eq!(listed.protocol_type(), "consumer");
    let one = c
        .fetch_group_list(Some(&group), PATIENCE)
        .expect("DescribeGroups");
    let info = &one.groups()[0];
    assert_eq!(info.name(), group);
    assert_eq!(info.state(), "Empty");
    assert_eq!(info.protocol_type(), "consumer");
    // rdkafka 0.33's GroupInfo::members builds a slice from librdkafka's member pointer, which is
    // null for a group without members (undefined behaviour): the Empty state is checked instead.
}
