//! Hostile bytes over raw TCP: the broker answers with an error or closes the connection, never
//! crashes, and a new connection is served afterwards.

use std::io::Write;
use std::net::Shutdown;

use kafka_protocol::messages::ApiKey;
use pg_kafka_tests::batch;
use pg_kafka_tests::raw::{self, Outcome};
use pg_kafka_tests::*;

const UNSUPPORTED_VERSION: i16 = 35;
const CORRUPT_MESSAGE: i16 = 2;

/// The broker closed the connection, or answered the frame (with `cid` when it could read one).
fn assert_rejected(outcome: Outcome, cid: Option<i32>, what: &str) {
    match outcome {
        Outcome::Closed => {}
        Outcome::Response(r) => {
            if let Some(cid) = cid {
                let (got, _) = raw::split_v0(&r);
                assert_eq!(got, cid, "{what}: correlation id of the answer");
            }
        }
        Outcome::TimedOut => panic!("{what}: the broker neither answered nor closed"),
    }
}

/// Records of `topic` stored in Postgres.
fn stored_records(topic: &str) -> i64 {
    pg_client()
        .query_one(
            "SELECT count(*) FROM kafka.records WHERE topic = $1",
            &[&topic],
        )
        .expect("count kafka.records")
        .get(0)
}

/// The broker closed the connection, or answered with a non-zero error code on the partition.
fn assert_produce_rejected(outcome: Outcome, what: &str) {
    match outcome {
        Outcome::Closed => {}
        Outcome::Response(r) => {
            let codes = raw::produce_v3_error_codes(&r);
            assert!(!codes.is_empty(), "{what}: the answer names the partition");
            assert!(
                codes.iter().all(|c| *c != 0),
                "{what}: accepted, codes {codes:?}"
            );
        }
        Outcome::TimedOut => panic!("{what}: the broker neither answered nor closed"),
    }
}

#[test]
fn zero_frame_length_is_rejected() {
    let mut s = raw::connect();
    assert_rejected(
        raw::send_and_read(&mut s, &0i32.to_be_bytes()),
        None,
        "length 0",
    );
    raw::assert_broker_alive();
}

#[test]
fn negative_frame_length_is_rejected() {
    let mut s = raw::connect();
    let mut bytes = (-16i32).to_be_bytes().to_vec();
    bytes.extend_from_slice(&[0u8; 16]);
    assert_rejected(raw::send_and_read(&mut s, &bytes), None, "negative length");
    raw::assert_broker_alive();
}

#[test]
fn frame_length_above_max_request_size_is_rejected_without_reading_it() {
    let mut s = raw::connect();
    let mut bytes = (200i32 << 20).to_be_bytes().to_vec();
    bytes.extend_from_slice(&raw::header(ApiKey::ApiVersions as i16, 0, 7, false));
    // Only the first bytes of the claimed 200 MiB ever arrive: the broker must decide from the
    // length alone.
    assert_rejected(raw::send_and_read(&mut s, &bytes), None, "200 MiB frame");
    raw::assert_broker_alive();
}

#[test]
fn frame_shorter_than_a_request_header_is_rejected() {
    let mut s = raw::connect();
    // A complete 5-byte frame: api key, version, and one byte of the correlation id.
    let bytes = [0, 0, 0, 5, 0, 18, 0, 0, 1];
    assert_rejected(raw::send_and_read(&mut s, &bytes), None, "truncated header");
    raw::assert_broker_alive();
}

#[test]
fn connection_closed_mid_frame_leaves_the_broker_serving() {
    let mut s = raw::connect();
    let full = raw::request(ApiKey::ApiVersions as i16, 0, 9, &[]);
    s.write_all(&full[..full.len() - 3]).expect("write part");
    s.shutdown(Shutdown::Write).expect("half-close");
    assert_rejected(raw::read_frame(&mut s), None, "frame cut by EOF");
    raw::assert_broker_alive();
}

#[test]
fn unknown_api_key_is_rejected() {
    let mut s = raw::connect();
    let bytes = raw::request(9999, 0, 11, &[0, 0, 0, 0]);
    assert_rejected(raw::send_and_read(&mut s, &bytes), Some(11), "API key 9999");
    raw::assert_broker_alive();
}

#[test]
fn metadata_with_a_huge_topic_count_in_a_tiny_frame_is_rejected() {
    let mut s = raw::connect();
    let body = 0x7fff_ffffi32.to_be_bytes();
    let bytes = raw::request(ApiKey::Metadata as i16, 1, 13, &body);
    assert_rejected(
        raw::send_and_read(&mut s, &bytes),
        Some(13),
        "Metadata count 2^31-1",
    );
    raw::assert_broker_alive();
}

#[test]
fn produce_batch_claiming_two_billion_records_is_rejected() {
    let topic = unique_topic("hostile-count");
    let rec = batch::record(0, 0, Some(b"k"), Some(b"v"), &[]);
    let b = batch::batch(batch::CODEC_NONE, i32::MAX, 0, now_ms(), &rec);
    let mut s = raw::connect();
    let body = raw::produce_v3_body(&topic, 0, -1, &b);
    let out = raw::send_and_read(&mut s, &raw::request(ApiKey::Produce as i16, 3, 15, &body));
    assert_produce_rejected(out, "record_count 2^31-1");
    raw::assert_broker_alive();
    assert_eq!(
        stored_records(&topic),
        0,
        "record_count 2^31-1: nothing stored"
    );
}

#[test]
fn produce_batch_with_a_bad_crc_is_rejected_as_corrupt() {
    let topic = unique_topic("hostile-crc");
    let mut b = batch::simple_batch(&[(b"k", b"v")], now_ms());
    batch::corrupt_crc(&mut b);
    let mut s = raw::connect();
    let body = raw::produce_v3_body(&topic, 0, -1, &b);
    match raw::send_and_read(&mut s, &raw::request(ApiKey::Produce as i16, 3, 17, &body)) {
        Outcome::Response(r) => {
            assert_eq!(raw::produce_v3_error_codes(&r), vec![CORRUPT_MESSAGE]);
        }
        other => panic!("bad CRC: expected a Produce response, got {other:?}"),
    }
    raw::assert_broker_alive();
    assert_eq!(stored_records(&topic), 0, "bad CRC: nothing stored");
}

#[test]
fn a_valid_raw_produce_is_accepted() {
    // The control for the hostile produce tests: the same framing with a sound batch works.
    let topic = unique_topic("raw-produce");
    let b = batch::simple_batch(&[(b"k", b"v"), (b"k2", b"v2")], now_ms());
    let mut s = raw::connect();
    let body = raw::produce_v3_body(&topic, 0, -1, &b);
    match raw::send_and_read(&mut s, &raw::request(ApiKey::Produce as i16, 3, 19, &body)) {
        Outcome::Response(r) => assert_eq!(raw::produce_v3_error_codes(&r), vec![0]),
        other => panic!("valid raw produce: {other:?}"),
    }
    let got = consume(&topic, 0, 0, 2);
    assert_eq!(got[1].value.as_deref(), Some(&b"v2"[..]));
}

#[test]
fn gzip_decompression_bomb_is_rejected() {
    let topic = unique_topic("hostile-bomb");
    let b = batch::gzip_bomb(200 << 20, now_ms());
    let mut s = raw::connect();
    let body = raw::produce_v3_body(&topic, 0, -1, &b);
    let out = raw::send_and_read(&mut s, &raw::request(ApiKey::Produce as i16, 3, 21, &body));
    assert_produce_rejected(out, "gzip bomb");
    raw::assert_broker_alive();
    assert_eq!(stored_records(&topic), 0, "gzip bomb: nothing stored");
}

#[test]
fn unsupported_api_versions_version_gets_error_35_with_ranges_in_a_v0_body() {
    let mut s = raw::connect();
    let h = raw::header(ApiKey::ApiVersions as i16, 99, 23, true);
    let bytes = raw::frame(&h, &[0]);
    match raw::send_and_read(&mut s, &bytes) {
        Outcome::Response(r) => {
            let (cid, resp) = raw::decode_api_versions(&r, 0);
            assert_eq!(cid, 23);
            assert_eq!(resp.error_code, UNSUPPORTED_VERSION);
            let av = resp
                .api_keys
                .iter()
                .find(|k| k.api_key == ApiKey::ApiVersions as i16)
                .expect("ApiVersions range listed");
            assert_eq!(av.min_version, 0);
            assert!(av.max_version >= 3 && av.max_version < 99);
        }
        other => panic!("ApiVersions v99: expected a v0 error response, got {other:?}"),
    }
    raw::assert_broker_alive();
}
