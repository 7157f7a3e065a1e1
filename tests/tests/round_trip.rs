//! Records produced with rdkafka come back byte for byte, at the offsets the producer was told,
//! through a Kafka consumer and through SQL (`kafka.read_records` and the `kafka.records` view).

use pg_kafka_tests::*;

fn h(k: &str, v: Option<&[u8]>) -> (String, Option<Vec<u8>>) {
    (k.to_string(), v.map(|v| v.to_vec()))
}

/// Records covering the shapes a broker can get wrong.
fn tricky_records(base_ts: i64) -> Vec<Rec> {
    let mut recs = vec![
        // Header order and duplicate keys.
        Rec {
            key: Some(b"k0".to_vec()),
            value: Some(b"v0".to_vec()),
            headers: vec![h("a", Some(b"1")), h("b", Some(b"2")), h("a", Some(b"3"))],
            ..Rec::default()
        },
        // A header with a null value next to one with an empty value.
        Rec {
            key: Some(b"k1".to_vec()),
            value: Some(b"v1".to_vec()),
            headers: vec![h("null", None), h("empty", Some(b""))],
            ..Rec::default()
        },
        // Non-UTF-8 binary key, value and header value.
        Rec {
            key: Some(vec![0xc3, 0x28, 0x00, 0xff]),
            value: Some(vec![0xff, 0x00, 0xfe, 0x80, 0x00]),
            headers: vec![h("bin", Some(&[0x00, 0xff, 0x80]))],
            ..Rec::default()
        },
        // Empty value.
        Rec {
            key: Some(b"empty-value".to_vec()),
            value: Some(Vec::new()),
            ..Rec::default()
        },
        // Null value (tombstone).
        Rec {
            key: Some(b"tombstone".to_vec()),
            value: None,
            ..Rec::default()
        },
        // Null key.
        Rec {
            key: None,
            value: Some(b"no key".to_vec()),
            ..Rec::default()
        },
    ];
    for i in 0..20u8 {
        recs.push(Rec {
            key: Some(vec![i]),
            value: Some(vec![i; i as usize * 3]),
            headers: vec![h("i", Some(&[i]))],
            ..Rec::default()
        });
    }
    for (i, r) in recs.iter_mut().enumerate() {
        r.partition = Some(0);
        r.timestamp = Some(base_ts + i as i64);
    }
    recs
}

#[test]
fn produced_records_come_back_byte_for_byte_at_their_offsets() {
    let topic = unique_topic("round-trip");
    let base_ts = now_ms() - 60_000;
    let recs = tricky_records(base_ts);
    let p = producer(&[]);
    let offsets = produce_all(&p, &topic, &recs);
    let expected: Vec<(i32, i64)> = (0..recs.len() as i64).map(|o| (0, o)).collect();
    assert_eq!(
        offsets, expected,
        "offsets are contiguous from 0 in send order"
    );

    let got = consume(&topic, 0, 0, recs.len());
    for (i, (r, g)) in recs.iter().zip(&got).enumerate() {
        assert_eq!(g.offset, i as i64, "offset of record {i}");
        assert_eq!(g.key, r.key, "key of record {i}");
        assert_eq!(g.value, r.value, "value of record {i}");
        assert_eq!(g.headers, r.headers, "headers of record {i}");
        assert_eq!(g.timestamp, r.timestamp, "timestamp of record {i}");
    }
}

#[test]
fn sql_read_records_and_records_view_match_what_was_produced() {
    let topic = unique_topic("round-trip-sql");
    let base_ts = now_ms() - 60_000;
    let recs = tricky_records(base_ts);
    let p = producer(&[]);
    produce_all(&p, &topic, &recs);

    let mut pg = pg_client();
    let from_function = sql_records(&mut pg, "kafka.read_records($1)", &topic);
    let from_view = sql_records(&mut pg, "kafka.records WHERE topic = $1", &topic);
    assert_eq!(
        from_function.len(),
        recs.len(),
        "rows from kafka.read_records"
    );
    assert_eq!(
        from_function, from_view,
        "kafka.records equals kafka.read_records"
    );
    for (i, (r, row)) in recs.iter().zip(&from_function).enumerate() {
        assert_eq!(row.partition, 0, "partition of row {i}");
        assert_eq!(row.offset, i as i64, "offset of row {i}");
        assert_eq!(Some(row.timestamp_ms), r.timestamp, "timestamp of row {i}");
        assert_eq!(row.key, r.key, "key of row {i}");
        assert_eq!(row.value, r.value, "value of row {i}");
        assert_eq!(row.headers, r.headers, "headers of row {i}");
    }
}

#[test]
fn sql_read_records_honours_partition_and_offset_bounds() {
    let topic = unique_topic("round-trip-range");
    let recs: Vec<Rec> = (0..30u8)
        .map(|i| Rec {
            partition: Some(0),
            ..Rec::kv(&[i], &[i, i])
        })
        .collect();
    produce_all(&producer(&[]), &topic, &recs);

    let mut pg = pg_client();
    let rows = pg
        .query(
            "SELECT \"offset\", value FROM kafka.read_records($1, 0, 10, 19) ORDER BY \"offset\"",
            &[&topic],
        )
        .expect("read_records with bounds");
    let got: Vec<(i64, Vec<u8>)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let want: Vec<(i64, Vec<u8>)> = (10..=19u8).map(|i| (i as i64, vec![i, i])).collect();
    assert_eq!(got, want, "offsets 10..=19 of partition 0");
}
