//! Topic lifecycle: auto-creation on produce and on metadata, and CreateTopics/DeleteTopics.

use std::time::{Duration, Instant};

use pg_kafka_tests::*;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::Consumer;

fn default_partitions() -> Vec<i32> {
    let mut pg = pg_client();
    let n: String = pg
        .query_one("SHOW pg_kafka.default_partitions", &[])
        .expect("SHOW pg_kafka.default_partitions")
        .get(0);
    (0..n.parse::<i32>().expect("default_partitions is an integer")).collect()
}

/// Polls metadata until `topic` is listed (or not), as creation may complete after the request
/// that triggered it answered LEADER_NOT_AVAILABLE.
fn wait_listed(topic: &str, listed: bool) -> Option<Vec<i32>> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let parts = topic_partitions(topic);
        if parts.is_some() == listed {
            return parts;
        }
        assert!(
            Instant::now() < deadline,
            "{topic} listed={} never became {listed}",
            parts.is_some()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn producing_to_an_unknown_topic_creates_it() {
    let topic = unique_topic("auto-produce");
    assert_eq!(topic_partitions(&topic), None);
    let offsets = produce_all(&producer(&[]), &topic, &[Rec::kv(b"k", b"v")]);
    assert_eq!(offsets, vec![(0, 0)]);
    assert_eq!(wait_listed(&topic, true), Some(default_partitions()));
    let got = consume(&topic, 0, 0, 1);
    assert_eq!(got[0].value.as_deref(), Some(&b"v"[..]));
}

#[test]
fn fetching_metadata_of_an_unknown_topic_creates_it() {
    let topic = unique_topic("auto-metadata");
    let c = consumer(&[("allow.auto.create.topics", "true")]);
    // The first answer may be LEADER_NOT_AVAILABLE, as from Kafka; the topic must exist after.
    let _ = c.fetch_metadata(Some(&topic), PATIENCE);
    assert_eq!(wait_listed(&topic, true), Some(default_partitions()));
}

#[test]
fn a_created_topic_is_gone_from_metadata_after_delete() {
    let topic = unique_topic("create-delete");
    let admin: AdminClient<DefaultClientContext> = base_config().create().expect("admin");
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let created = block_on(admin.create_topics(
        &[NewTopic::new(&topic, 2, TopicReplication::Fixed(1))],
        &opts,
    ))
    .expect("CreateTopics request");
    assert!(created[0].is_ok(), "create {topic}: {:?}", created[0]);
    assert_eq!(wait_listed(&topic, true), Some(vec![0, 1]));

    produce_all(&producer(&[]), &topic, &[Rec::kv(b"k", b"v")]);

    let deleted = block_on(admin.delete_topics(&[&topic], &opts)).expect("DeleteTopics request");
    assert!(deleted[0].is_ok(), "delete {topic}: {:?}", deleted[0]);
    assert_eq!(wait_listed(&topic, false), None);
}

#[test]
fn creating_an_existing_topic_fails_with_topic_already_exists() {
    let topic = unique_topic("create-twice");
    let admin: AdminClient<DefaultClientContext> = base_config().create().expect("admin");
    let opts = AdminOptions::new();
    let new = [NewTopic::new(&topic, 1, TopicReplication::Fixed(1))];
    let first = block_on(admin.create_topics(&new, &opts)).expect("CreateTopics");
    assert!(first[0].is_ok(), "{:?}", first[0]);
    let second = block_on(admin.create_topics(&new, &opts)).expect("CreateTopics");
    match &second[0] {
        Err((name, code)) => {
            assert_eq!(name, &topic);
            assert_eq!(*code, rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists);
        }
        Ok(_) => panic!("second create of {topic} succeeded"),
    }
}
