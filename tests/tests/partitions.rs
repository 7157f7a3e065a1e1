//! A topic created with three partitions keeps an independent, contiguous offset sequence per
//! partition.

use pg_kafka_tests::*;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;

#[test]
fn each_partition_of_a_three_partition_topic_counts_offsets_from_zero() {
    let topic = unique_topic("three-partitions");
    let admin: AdminClient<DefaultClientContext> = base_config().create().expect("admin");
    let res = block_on(admin.create_topics(
        &[NewTopic::new(&topic, 3, TopicReplication::Fixed(1))],
        &AdminOptions::new(),
    ))
    .expect("CreateTopics request");
    assert_eq!(res.len(), 1);
    assert!(res[0].is_ok(), "create {topic}: {:?}", res[0]);
    assert_eq!(topic_partitions(&topic), Some(vec![0, 1, 2]));

    // Interleave the partitions so each one's records arrive mixed with the others'.
    let recs: Vec<Rec> = (0..90u32)
        .map(|i| Rec {
            partition: Some((i % 3) as i32),
            ..Rec::kv(format!("k{i}").as_bytes(), format!("v{i}").as_bytes())
        })
        .collect();
    let offsets = produce_all(&producer(&[]), &topic, &recs);
    for (i, (part, off)) in offsets.iter().enumerate() {
        assert_eq!(*part, (i % 3) as i32, "partition of record {i}");
        assert_eq!(*off, (i / 3) as i64, "offset of record {i}");
    }

    for part in 0..3 {
        let got = consume(&topic, part, 0, 30);
        for (n, g) in got.iter().enumerate() {
            let i = n * 3 + part as usize;
            assert_eq!(g.partition, part);
            assert_eq!(g.offset, n as i64, "partition {part} offset");
            assert_eq!(g.value.as_deref(), Some(format!("v{i}").as_bytes()));
        }
        assert_eq!(
            watermarks(&topic, part),
            (0, 30),
            "watermarks of partition {part}"
        );
    }
}
