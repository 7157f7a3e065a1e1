//! acks=0: the broker sends no response, and the records still land.

use pg_kafka_tests::*;
use rdkafka::producer::Producer;

#[test]
fn records_produced_with_acks_zero_are_stored() {
    let topic = unique_topic("acks-zero");
    // Create the topic first so no record races its creation.
    produce_all(&producer(&[]), &topic, &[Rec::kv(b"first", b"acked")]);

    let p = producer(&[("acks", "0"), ("linger.ms", "0")]);
    let recs: Vec<Rec> = (0..200u32)
        .map(|i| Rec {
            partition: Some(0),
            ..Rec::kv(format!("k{i}").as_bytes(), format!("v{i}").as_bytes())
        })
        .collect();
    produce_all(&p, &topic, &recs);
    p.flush(PATIENCE).expect("flush");

    let got = consume(&topic, 0, 1, recs.len());
    for (i, (r, g)) in recs.iter().zip(&got).enumerate() {
        assert_eq!(g.offset, 1 + i as i64, "offset of record {i}");
        assert_eq!(g.key, r.key);
        assert_eq!(g.value, r.value);
    }
    pg_kafka_tests::raw::assert_broker_alive();
}
