//! A record close to librdkafka's default size limit round-trips intact.

use pg_kafka_tests::*;

/// Incompressible bytes from a fixed xorshift sequence.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(len);
    while v.len() < len {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        v.extend_from_slice(&seed.to_le_bytes());
    }
    v.truncate(len);
    v
}

#[test]
fn a_900_kib_record_round_trips() {
    let topic = unique_topic("large");
    let value = noise(900 * 1024, 0x9e37_79b9_7f4a_7c15);
    let recs = vec![
        Rec {
            partition: Some(0),
            ..Rec::kv(b"small-before", b"x")
        },
        Rec {
            partition: Some(0),
            key: Some(b"large".to_vec()),
            value: Some(value.clone()),
            ..Rec::default()
        },
        Rec {
            partition: Some(0),
            ..Rec::kv(b"small-after", b"y")
        },
    ];
    let p = producer(&[("message.max.bytes", "2000000")]);
    let offsets = produce_all(&p, &topic, &recs);
    assert_eq!(offsets, vec![(0, 0), (0, 1), (0, 2)]);

    let c = consumer(&[
        ("fetch.message.max.bytes", "2097152"),
        ("fetch.max.bytes", "10485760"),
        ("receive.message.max.bytes", "20971520"),
    ]);
    let got = consume_with(&c, &topic, 0, 0, 3);
    assert_eq!(got[1].offset, 1);
    assert_eq!(got[1].key.as_deref(), Some(&b"large"[..]));
    assert_eq!(got[1].value.as_ref().map(Vec::len), Some(value.len()));
    assert!(
        got[1].value.as_ref() == Some(&value),
        "900 KiB value differs"
    );
    assert_eq!(got[2].value.as_deref(), Some(&b"y"[..]));
}
