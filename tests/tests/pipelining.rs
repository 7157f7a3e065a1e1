//! Many produce requests in flight on one connection: all are acknowledged, in order, with
//! contiguous offsets.

use pg_kafka_tests::*;

#[test]
fn ten_thousand_pipelined_records_keep_order_and_contiguous_offsets() {
    let topic = unique_topic("pipelining");
    const N: usize = 10_000;
    let recs: Vec<Rec> = (0..N as u64)
        .map(|i| Rec {
            partition: Some(0),
            value: Some(i.to_be_bytes().to_vec()),
            ..Rec::default()
        })
        .collect();
    let p = producer(&[
        ("linger.ms", "0"),
        ("batch.num.messages", "20"),
        ("max.in.flight.requests.per.connection", "1000"),
        // A retry could reorder records; every request must succeed the first time.
        ("message.send.max.retries", "0"),
        ("queue.buffering.max.messages", "100000"),
    ]);
    let offsets = produce_all(&p, &topic, &recs);
    for (i, (part, off)) in offsets.iter().enumerate() {
        assert_eq!((*part, *off), (0, i as i64), "record {i}");
    }

    let got = consume(&topic, 0, 0, N);
    for (i, g) in got.iter().enumerate() {
        assert_eq!(g.offset, i as i64);
        assert_eq!(g.value.as_deref(), Some(&(i as u64).to_be_bytes()[..]));
    }
    assert_eq!(watermarks(&topic, 0), (0, N as i64));
}
