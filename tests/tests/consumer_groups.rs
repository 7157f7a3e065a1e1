//! Consumer groups: a subscribed consumer's committed offset is where the next member of the same
//! group resumes.

use std::time::{Duration, Instant};

use pg_kafka_tests::*;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};

fn group_consumer(group: &str) -> BaseConsumer {
    let c: BaseConsumer = consumer_config(&[
        ("group.id", group),
        ("session.timeout.ms", "10000"),
        ("heartbeat.interval.ms", "500"),
    ])
    .create()
    .expect("group consumer");
    c
}

/// Polls until `n` records arrived, committing the last one synchronously when `commit`.
fn poll_n(c: &BaseConsumer, n: usize, commit: bool) -> Vec<Got> {
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
            Some(Ok(m)) => {
                out.push(got(&m));
                if commit && out.len() == n {
                    c.commit_message(&m, CommitMode::Sync).expect("commit");
                }
            }
            Some(Err(e)) => panic!("group consume: {e}"),
        }
    }
    out
}

#[test]
fn a_new_member_resumes_from_the_offset_the_group_committed() {
    let topic = unique_topic("group");
    let group = unique_topic("group-id");
    let recs: Vec<Rec> = (0..20u32)
        .map(|i| Rec {
            partition: Some(0),
            ..Rec::kv(format!("k{i}").as_bytes(), format!("v{i}").as_bytes())
        })
        .collect();
    produce_all(&producer(&[]), &topic, &recs);

    let first = group_consumer(&group);
    first.subscribe(&[&topic]).expect("subscribe");
    let got_first = poll_n(&first, 10, true);
    assert_eq!(
        got_first.iter().map(|g| g.offset).collect::<Vec<_>>(),
        (0..10).collect::<Vec<i64>>()
    );
    drop(first);

    let second = group_consumer(&group);
    second.subscribe(&[&topic]).expect("subscribe");
    let got_second = poll_n(&second, 10, false);
    assert_eq!(
        got_second.iter().map(|g| g.offset).collect::<Vec<_>>(),
        (10..20).collect::<Vec<i64>>(),
        "the second member starts at the committed offset"
    );
    assert_eq!(got_second[0].value.as_deref(), Some(&b"v10"[..]));
}
