//! ListOffsets: earliest, latest and by timestamp, with records carrying explicit timestamps.

use pg_kafka_tests::*;
use rdkafka::consumer::Consumer;
use rdkafka::{Offset, TopicPartitionList};

fn offset_for_time(topic: &str, ts: i64) -> Offset {
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Offset(ts))
        .expect("tpl");
    let res = consumer(&[])
        .offsets_for_times(tpl, PATIENCE)
        .expect("offsets_for_times");
    let elem = res.find_partition(topic, 0).expect("partition 0 in answer");
    assert!(
        elem.error().is_ok(),
        "ListOffsets error: {:?}",
        elem.error()
    );
    elem.offset()
}

#[test]
fn list_offsets_answers_earliest_latest_and_by_timestamp() {
    let topic = unique_topic("list-offsets");
    // Whole seconds apart, an hour in the past: far from anything the broker stamps itself.
    let t0 = (now_ms() / 1000 - 3600) * 1000;
    let recs: Vec<Rec> = (0..5)
        .map(|i| Rec {
            partition: Some(0),
            timestamp: Some(t0 + i * 1000),
            ..Rec::kv(format!("k{i}").as_bytes(), format!("v{i}").as_bytes())
        })
        .collect();
    let offsets = produce_all(&producer(&[]), &topic, &recs);
    assert_eq!(offsets, (0..5).map(|o| (0, o)).collect::<Vec<_>>());

    assert_eq!(watermarks(&topic, 0), (0, 5), "earliest and latest");

    assert_eq!(offset_for_time(&topic, t0 - 10_000), Offset::Offset(0));
    assert_eq!(offset_for_time(&topic, t0), Offset::Offset(0));
    assert_eq!(offset_for_time(&topic, t0 + 1), Offset::Offset(1));
    assert_eq!(offset_for_time(&topic, t0 + 1500), Offset::Offset(2));
    assert_eq!(offset_for_time(&topic, t0 + 4000), Offset::Offset(4));
    // Later than every record: no offset (-1, which librdkafka reports as End).
    assert_eq!(offset_for_time(&topic, t0 + 4001), Offset::End);

    let got = consume(&topic, 0, 0, 5);
    let ts: Vec<Option<i64>> = got.iter().map(|g| g.timestamp).collect();
    assert_eq!(ts, (0..5).map(|i| Some(t0 + i * 1000)).collect::<Vec<_>>());
}
