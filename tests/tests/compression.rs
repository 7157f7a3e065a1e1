//! Every compression codec librdkafka offers round-trips 1000 records byte for byte.

use pg_kafka_tests::*;

fn round_trip_with_codec(codec: &str) {
    let topic = unique_topic(&format!("codec-{codec}"));
    let recs: Vec<Rec> = (0..1000u32)
        .map(|i| Rec {
            partition: Some(0),
            key: Some(format!("key-{i}").into_bytes()),
            // Compressible text with a varying tail, plus a binary header.
            value: Some(
                format!("{codec} value {i} {}", "abc".repeat((i % 50) as usize)).into_bytes(),
            ),
            headers: vec![("n".to_string(), Some(i.to_be_bytes().to_vec()))],
            ..Rec::default()
        })
        .collect();
    let p = producer(&[("compression.codec", codec), ("linger.ms", "20")]);
    let offsets = produce_all(&p, &topic, &recs);
    let want: Vec<(i32, i64)> = (0..1000).map(|o| (0, o)).collect();
    assert_eq!(offsets, want, "{codec}: offsets contiguous from 0");

    let got = consume(&topic, 0, 0, recs.len());
    for (i, (r, g)) in recs.iter().zip(&got).enumerate() {
        assert_eq!(g.offset, i as i64, "{codec}: offset of record {i}");
        assert_eq!(g.key, r.key, "{codec}: key of record {i}");
        assert_eq!(g.value, r.value, "{codec}: value of record {i}");
        assert_eq!(g.headers, r.headers, "{codec}: headers of record {i}");
    }

    // SQL decodes the compressed batches to the same records.
    let rows = sql_records(&mut pg_client(), "kafka.read_records($1)", &topic);
    assert_eq!(
        rows.len(),
        recs.len(),
        "{codec}: rows from kafka.read_records"
    );
    for (i, (r, row)) in recs.iter().zip(&rows).enumerate() {
        assert_eq!(row.offset, i as i64, "{codec}: SQL offset of record {i}");
        assert_eq!(row.key, r.key, "{codec}: SQL key of record {i}");
        assert_eq!(row.value, r.value, "{codec}: SQL value of record {i}");
        assert_eq!(row.headers, r.headers, "{codec}: SQL headers of record {i}");
    }
}

#[test]
fn gzip_batches_round_trip() {
    round_trip_with_codec("gzip");
}

#[test]
fn snappy_batches_round_trip() {
    round_trip_with_codec("snappy");
}

#[test]
fn lz4_batches_round_trip() {
    round_trip_with_codec("lz4");
}

#[test]
fn zstd_batches_round_trip() {
    round_trip_with_codec("zstd");
}
