//! The pre-decode guard against every served schema and version: sample requests pass, and
//! truncated, oversized or lying bodies are refused before the decoder sees them.

use bytes::Bytes;
use kafka_protocol::messages::ApiKey;

use super::samples;
use crate::protocol::frame::{parse_head, RequestHead};
use crate::protocol::guard::{decode_request, walk_body};
use crate::protocol::schema::{ApiSchema, Kind};
use crate::protocol::versions::TABLE;
use crate::protocol::ProtocolError;

fn every_served_version() -> Vec<(ApiKey, i16, &'static ApiSchema)> {
    TABLE
        .iter()
        .flat_map(|r| (r.min_served..=r.max_advertised).map(move |v| (r.key, v, r.schema)))
        .collect()
}

/// Header bytes for `key`/`version` followed by `body`.
fn with_body(key: ApiKey, version: i16, body: &[u8]) -> (RequestHead, Bytes) {
    let mut f = samples::frame(key, version, 77, &samples::request(key, version));
    let head = parse_head(&f).unwrap();
    f.truncate(head.header_len);
    f.extend_from_slice(body);
    (head, Bytes::from(f))
}

#[test]
fn every_api_version_round_trips_through_the_guard() {
    let mut checked = 0;
    for (key, v, schema) in every_served_version() {
        let req = samples::request(key, v);
        let frame = samples::frame(key, v, 1234, &req);
        let head = parse_head(&frame).unwrap();
        assert_eq!(
            (head.api_key, head.api_version, head.correlation_id),
            (key as i16, v, 1234)
        );
        let body = &frame[head.header_len..];
        let walked = walk_body(schema, v, body).unwrap_or_else(|e| panic!("{key:?} v{v}: {e}"));
        // The walk ends exactly at the end of the body: one byte less is refused, and a byte
        // more is not part of it.
        assert_eq!(walked, body.len(), "{key:?} v{v}");
        if let Some(short) = body.len().checked_sub(1) {
            assert!(
                walk_body(schema, v, &body[..short]).is_err(),
                "{key:?} v{v}"
            );
        }
        let mut longer = body.to_vec();
        longer.push(0);
        assert_eq!(
            walk_body(schema, v, &longer),
            Ok(body.len()),
            "{key:?} v{v}"
        );
        let decoded = decode_request(&head, Bytes::from(frame.clone()))
            .unwrap_or_else(|e| panic!("{key:?} v{v}: {e}"));
        assert_eq!(decoded, req, "{key:?} v{v}");
        checked += 1;
    }
    // Produce, Fetch, ListOffsets, Metadata, ApiVersions, CreateTopics, DeleteTopics,
    // CreatePartitions, the classic consumer-group APIs, then ConsumerGroupHeartbeat and
    // ConsumerGroupDescribe, then the admin APIs: DescribeConfigs, AlterConfigs,
    // IncrementalAlterConfigs, DescribeCluster, DescribeLogDirs, DescribeTopicPartitions,
    // DeleteRecords, ElectLeaders, ListPartitionReassignments; then InitProducerId,
    // AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, TxnOffsetCommit, DescribeProducers,
    // DescribeTransactions, ListTransactions; then SaslHandshake and SaslAuthenticate, then
    // DescribeUserScramCredentials and AlterUserScramCredentials; then DescribeAcls, CreateAcls
    // and DeleteAcls.
    assert_eq!(
        checked,
        9 + 13
            + 8
            + 13
            + 5
            + 6
            + 6
            + 4
            + 65
            + 2
            + 2
            + (4 + 3 + 2 + 3 + 4 + 1 + 3 + 3 + 1)
            + (6 + 4 + 5 + 6 + 6 + 1 + 1 + 3)
            + (2 + 3)
            + (1 + 1)
            + (3 + 3 + 3)
    );
}

/// A body whose fields before the first top-level array are zero/empty, then a huge count,
/// padded to 30 bytes.
fn huge_count_body(schema: &ApiSchema, v: i16, compact_count: &[u8]) -> Option<Vec<u8>> {
    let flexible = v >= schema.flexible_since;
    let mut body = Vec::new();
    for f in schema.body.fields.iter().filter(|f| f.present(v)) {
        match &f.kind {
            Kind::Fixed(n) => body.extend(std::iter::repeat_n(0, *n)),
            Kind::Str if flexible => body.push(1),
            Kind::Str => body.extend_from_slice(&[0, 0]),
            Kind::Bytes if flexible => body.push(1),
            Kind::Bytes => body.extend_from_slice(&[0; 4]),
            Kind::Array(_) => {
                if flexible {
                    body.extend_from_slice(compact_count);
                } else {
                    body.extend_from_slice(&0x7fff_ffffi32.to_be_bytes());
                }
                body.resize(30.max(body.len()), 0);
                return Some(body);
            }
            Kind::Struct(_) | Kind::OptionStruct(_) => return None,
        }
    }
    None
}

#[test]
fn huge_array_counts_are_refused_before_decoding() {
    let mut refused = 0;
    for compact in [
        &[0xff, 0xff, 0xff, 0xff, 0x07][..],
        &[0xff, 0xff, 0xff, 0xff, 0x0f][..],
    ] {
        for (key, v, schema) in every_served_version() {
            let Some(body) = huge_count_body(schema, v, compact) else {
                continue;
            };
            let (head, frame) = with_body(key, v, &body);
            assert!(
                matches!(
                    decode_request(&head, frame),
                    Err(ProtocolError::Malformed(_))
                ),
                "{key:?} v{v}"
            );
            refused += 1;
        }
    }
    // Every API but ApiVersions has a top-level array.
    assert!(refused >= 2 * (9 + 13 + 8 + 13 + 6 + 6 + 4));
}

#[test]
fn every_four_byte_window_set_to_max_count_never_panics() {
    for (key, v, _) in every_served_version() {
        let frame = samples::frame(key, v, 1, &samples::request(key, v));
        let head = parse_head(&frame).unwrap();
        for at in head.header_len..frame.len().saturating_sub(4) {
            for pattern in [
                [0x7f, 0xff, 0xff, 0xff],
                [0xff, 0xff, 0xff, 0xfe],
                [0xff; 4],
            ] {
                let mut f = frame.clone();
                f[at..at + 4].copy_from_slice(&pattern);
                let _ = decode_request(&head, Bytes::from(f));
            }
        }
    }
}

#[test]
fn negative_lengths_are_refused() {
    // Metadata v1: topics array of i16-length strings.
    let cases: [&[u8]; 3] = [
        &[0xff, 0xff, 0xff, 0xfe],             // array count -2
        &[0, 0, 0, 1, 0xff, 0xfe],             // string length -2
        &[0, 0, 0, 1, 0x7f, 0xff, b'a', b'b'], // string longer than the frame
    ];
    for body in cases {
        let (head, frame) = with_body(ApiKey::Metadata, 1, body);
        assert!(decode_request(&head, frame).is_err(), "{body:?}");
    }
    // Produce v3: records bytes of length -5.
    let mut body = vec![
        0xff, 0xff, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 1,
    ];
    body.extend_from_slice(&[0, 0, 0, 0, 0xff, 0xff, 0xff, 0xfb]);
    let (head, frame) = with_body(ApiKey::Produce, 3, &body);
    assert!(walk_body(&crate::protocol::schema::produce::PRODUCE, 3, &body).is_err());
    assert!(decode_request(&head, frame).is_err());
}

#[test]
fn trailing_bytes_are_ignored_and_short_bodies_refused() {
    let req = samples::request(ApiKey::Metadata, 12);
    let mut frame = samples::frame(ApiKey::Metadata, 12, 1, &req);
    let head = parse_head(&frame).unwrap();
    // What librdkafka's AdminClient sends after a Metadata v12 body (librdkafka issue 5049).
    frame.extend_from_slice(&[0, 0, 0]);
    assert_eq!(
        decode_request(&head, Bytes::from(frame.clone())).unwrap(),
        req
    );
    frame.truncate(head.header_len);
    assert!(decode_request(&head, Bytes::from(frame)).is_err());
    let bad = RequestHead {
        header_len: 10_000,
        ..head
    };
    assert!(decode_request(&bad, Bytes::from_static(&[0; 12])).is_err());
}

#[test]
fn unsupported_versions_and_keys_are_not_decoded() {
    for (key, version) in [
        (0, 2),
        (0, 12),
        (1, 3),
        (1, 17),
        (9999, 0),
        (-1, 0),
        (18, 5),
    ] {
        let head = RequestHead {
            api_key: key,
            api_version: version,
            correlation_id: 1,
            client_id: None,
            header_len: 0,
        };
        assert_eq!(
            decode_request(&head, Bytes::from_static(&[0xff; 8])),
            Err(ProtocolError::Unsupported {
                api_key: key,
                version
            })
        );
    }
}

#[test]
fn known_tagged_fields_must_fill_their_declared_size() {
    let req = samples::request(ApiKey::Fetch, 12);
    let frame = samples::frame(ApiKey::Fetch, 12, 1, &req);
    let head = parse_head(&frame).unwrap();
    let body = &frame[head.header_len..];
    // The sample's top-level tagged section is its last bytes: count 1, tag 0, size 10,
    // cluster_id "cluster-1" as a compact string.
    let tail = [1, 0, 10, 10];
    let at = body.len() - 13;
    assert_eq!(&body[at..at + 4], &tail);
    let mut short = body.to_vec();
    short[at + 2] = 11; // declared size one byte larger than the string
    short.push(0);
    assert!(walk_body(&crate::protocol::schema::fetch::FETCH, 12, &short).is_err());
    // An unknown tag is skipped by size.
    let mut unknown = body[..at].to_vec();
    unknown.extend_from_slice(&[1, 9, 3, 0xde, 0xad, 0xbe]);
    assert!(walk_body(&crate::protocol::schema::fetch::FETCH, 12, &unknown).is_ok());
    // A tagged-field count no body could hold.
    let mut many = body[..at].to_vec();
    many.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
    assert!(walk_body(&crate::protocol::schema::fetch::FETCH, 12, &many).is_err());
}

#[test]
fn group_requests_with_huge_counts_in_tiny_frames_are_refused() {
    // JoinGroup v1: group "g", timeouts, member "", type "consumer", then 2^31-1 protocols.
    let mut body = vec![0, 1, b'g'];
    body.extend_from_slice(&10_000i32.to_be_bytes());
    body.extend_from_slice(&10_000i32.to_be_bytes());
    body.extend_from_slice(&[0, 0, 0, 8]);
    body.extend_from_slice(b"consumer");
    body.extend_from_slice(&i32::MAX.to_be_bytes());
    body.extend_from_slice(&[0, 1, b'r', 0x7f, 0xff, 0xff, 0xff]);
    let (head, frame) = with_body(ApiKey::JoinGroup, 1, &body);
    assert!(matches!(
        decode_request(&head, frame),
        Err(ProtocolError::Malformed(_))
    ));
    // SyncGroup v4 (compact): one assignment whose bytes claim 2^31 - 2 bytes.
    let mut body = vec![2, b'g', 0, 0, 0, 1, 2, b'm', 0, 2, 2, b'm'];
    body.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x07, 0, 0]);
    let (head, frame) = with_body(ApiKey::SyncGroup, 4, &body);
    assert!(matches!(
        decode_request(&head, frame),
        Err(ProtocolError::Malformed(_))
    ));
}

#[test]
fn a_null_or_present_cursor_is_walked_and_a_missing_one_refused() {
    let schema = &crate::protocol::schema::describe_topic_partitions::DESCRIBE_TOPIC_PARTITIONS;
    // No topics, limit 0, cursor null (-1), no tagged fields.
    assert!(walk_body(schema, 0, &[1, 0, 0, 0, 0, 0xff, 0]).is_ok());
    // A present cursor: name "t", partition 0, its tagged fields, then the body's.
    assert!(walk_body(schema, 0, &[1, 0, 0, 0, 0, 1, 2, b't', 0, 0, 0, 0, 0, 0]).is_ok());
    // The marker says present but the cursor is cut off.
    assert!(walk_body(schema, 0, &[1, 0, 0, 0, 0, 1, 2]).is_err());
}
