//! Dispatch against the version table: every served (API, version) gets a response that decodes
//! at that version, the table and the handlers name the same APIs, `refuse` puts its error on
//! everything a request named, and what is not served gets UNSUPPORTED_VERSION or nothing.

use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::Decodable;
use kafka_protocol::ResponseError;

use super::testkit::harness;
use crate::broker::{refuse, unsupported_response, SERVED};
use crate::error::{code_of, code_or_none, KafkaError};
use crate::protocol::tests::samples;
use crate::protocol::versions::TABLE;
use crate::protocol::{decode_request, encode_response, parse_head};

/// Every (API, version) the broker decodes.
fn served() -> Vec<(ApiKey, i16)> {
    TABLE
        .iter()
        .flat_map(|r| (r.min_served..=r.max_advertised).map(move |v| (r.key, v)))
        .collect()
}

/// `resp` encoded as the broker sends it, then decoded as a client at `version` would.
fn round_trip(key: ApiKey, version: i16, resp: &ResponseKind) -> ResponseKind {
    let frame = encode_response(7, key as i16, version, resp)
        .unwrap_or_else(|e| panic!("{key:?} v{version} does not encode: {e}"));
    let mut body = frame.slice(4..);
    let header = ResponseHeader::decode(&mut body, key.response_header_version(version))
        .unwrap_or_else(|e| panic!("{key:?} v{version} header: {e}"));
    assert_eq!(header.correlation_id, 7);
    let decoded = ResponseKind::decode(key, &mut body, version)
        .unwrap_or_else(|e| panic!("{key:?} v{version} does not decode: {e}"));
    assert_eq!(body.remaining(), 0, "{key:?} v{version}: bytes left over");
    decoded
}

#[test]
fn the_version_table_and_the_handlers_name_the_same_apis_in_key_order() {
    let table: Vec<ApiKey> = TABLE.iter().map(|r| r.key).collect();
    assert_eq!(
        table, SERVED,
        "one dispatch line per version-table row, same order"
    );
    let keys: Vec<i16> = table.iter().map(|k| *k as i16).collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "API-key order: {keys:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_served_version_of_every_api_gets_a_response_that_decodes_at_that_version() {
    let h = harness();
    for (key, version) in served() {
        // Through the same path a connection takes: frame, header, guard, decode, dispatch.
        let frame = Bytes::from(samples::frame(
            key,
            version,
            1,
            &samples::request(key, version),
        ));
        let head = parse_head(&frame).unwrap();
        let req = decode_request(&head, frame).unwrap();
        let reply = tokio::time::timeout(Duration::from_secs(30), async {
            h.dispatch(version, req).await.await
        })
        .await
        .unwrap_or_else(|_| panic!("{key:?} v{version}: no reply within 30 s"));
        let resp = reply.unwrap_or_else(|| panic!("{key:?} v{version}: no response"));
        round_trip(key, version, &resp);
    }
}

#[test]
fn refuse_answers_every_api_at_every_version_with_the_error_on_all_it_named() {
    let e = KafkaError::new(ResponseError::PolicyViolation);
    let code = format!("error_code: {}", e.code());
    for (key, version) in served() {
        let req = samples::request(key, version);
        let resp = refuse(version, req.clone(), &e).expect("every served API can refuse");
        let decoded = round_trip(key, version, &resp);
        let text = format!("{decoded:?}");
        if key == ApiKey::DescribeLogDirs && version < 3 {
            // No error field at all before v3: Kafka answers with no directories.
            assert!(matches!(decoded, ResponseKind::DescribeLogDirs(r) if r.results.is_empty()));
            continue;
        }
        assert!(text.contains(&code), "{key:?} v{version}: {text}");
        // Where a request names partitions, each one carries the error.
        let named = partitions_named(&req);
        if named > 0 {
            assert!(
                text.matches(&code).count() >= named,
                "{key:?} v{version}: {named} partitions named: {text}"
            );
        }
    }
}

/// Partitions a request names, for the APIs whose responses answer per partition.
fn partitions_named(req: &RequestKind) -> usize {
    match req {
        RequestKind::Produce(r) => r.topic_data.iter().map(|t| t.partition_data.len()).sum(),
        RequestKind::Fetch(r) => r.topics.iter().map(|t| t.partitions.len()).sum(),
        RequestKind::ListOffsets(r) => r.topics.iter().map(|t| t.partitions.len()).sum(),
        RequestKind::OffsetCommit(r) => r.topics.iter().map(|t| t.partitions.len()).sum(),
        RequestKind::TxnOffsetCommit(r) => r.topics.iter().map(|t| t.partitions.len()).sum(),
        RequestKind::DeleteRecords(r) => r.topics.iter().map(|t| t.partitions.len()).sum(),
        RequestKind::OffsetDelete(r) => r.topics.iter().map(|t| t.partitions.len()).sum(),
        RequestKind::AddPartitionsToTxn(r) => r
            .v3_and_below_topics
            .iter()
            .map(|t| t.partitions.len())
            .sum(),
        RequestKind::DescribeProducers(r) => {
            r.topics.iter().map(|t| t.partition_indexes.len()).sum()
        }
        _ => 0,
    }
}

#[tokio::test]
async fn api_versions_lists_the_served_apis_at_every_version() {
    let h = harness();
    for v in 0..=4 {
        match h.call(v, ApiVersionsRequest::default()).await {
            Some(ResponseKind::ApiVersions(r)) => {
                assert_eq!(r.error_code, 0);
                let produce = r
                    .api_keys
                    .iter()
                    .find(|k| k.api_key == ApiKey::Produce as i16);
                // Advertised from v0 (librdkafka disables compression otherwise), served from v3.
                assert_eq!(
                    produce.map(|k| (k.min_version, k.max_version)),
                    Some((0, 11))
                );
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn unsupported_apis_answer_with_their_own_response_when_it_has_an_error_code() {
    let code = ResponseError::UnsupportedVersion.code();
    for (key, version) in [
        (ApiKey::EndTxn, 3),
        (ApiKey::SaslHandshake, 1),
        (ApiKey::InitProducerId, 4),
    ] {
        let r = unsupported_response(key as i16, version).expect("a response");
        let mut buf = BytesMut::new();
        r.encode(&mut buf, version).unwrap();
        let got = match r {
            ResponseKind::EndTxn(r) => r.error_code,
            ResponseKind::SaslHandshake(r) => r.error_code,
            ResponseKind::InitProducerId(r) => r.error_code,
            other => panic!("{other:?}"),
        };
        assert_eq!(got, code);
    }
    // Served APIs are never answered here.
    assert!(unsupported_response(ApiKey::JoinGroup as i16, 5).is_none());
    assert!(unsupported_response(ApiKey::Produce as i16, 1).is_none());
    assert!(unsupported_response(ApiKey::Heartbeat as i16, 99).is_none());
    assert!(unsupported_response(-5, 0).is_none());
}

#[test]
fn kafka_errors_reach_the_wire_as_their_codes_and_messages() {
    let e = KafkaError::with_message(ResponseError::InvalidTopicException, "bad name");
    assert_eq!(e.code(), 17);
    assert_eq!(e.message(), Some("bad name"));
    assert_eq!(code_of::<()>(&Err(e)), 17);
    assert_eq!(code_of(&Ok(1)), 0);
    assert_eq!(code_or_none(None), 0);
    assert_eq!(KafkaError::coordinator_unavailable().code(), 15);
    assert_eq!(KafkaError::storage().code(), 56);
}
