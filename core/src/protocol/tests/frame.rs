//! Request framing: the header and response encoding.

use kafka_protocol::messages::ResponseKind;

use crate::protocol::frame::*;
use kafka_protocol::messages::{ApiVersionsResponse, MetadataResponse};

fn header(key: i16, version: i16, corr: i32, client: Option<&[u8]>) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&key.to_be_bytes());
    v.extend_from_slice(&version.to_be_bytes());
    v.extend_from_slice(&corr.to_be_bytes());
    match client {
        Some(c) => {
            v.extend_from_slice(&(c.len() as i16).to_be_bytes());
            v.extend_from_slice(c);
        }
        None => v.extend_from_slice(&(-1i16).to_be_bytes()),
    }
    v
}

#[test]
fn parses_v1_and_v2_headers() {
    let mut f = header(3, 1, 7, Some(b"rdkafka"));
    f.extend_from_slice(b"body");
    let h = parse_head(&f).unwrap();
    assert_eq!(h.client_id.as_deref(), Some("rdkafka"));
    assert_eq!(
        (h.api_key, h.api_version, h.correlation_id, h.header_len),
        (3, 1, 7, 17)
    );

    let mut f = header(3, 12, 9, None);
    f.extend_from_slice(&[1, 5, 2, 0xaa, 0xbb]); // one tagged field of 2 bytes
    let h = parse_head(&f).unwrap();
    assert_eq!((h.client_id, h.header_len), (None, f.len()));
}

#[test]
fn unknown_key_still_yields_correlation_id() {
    let f = header(999, 0, 42, Some(b"x"));
    let h = parse_head(&f).unwrap();
    assert_eq!(
        (h.api_key, h.correlation_id, h.header_len),
        (999, 42, f.len())
    );
}

#[test]
fn rejects_truncated_and_hostile_headers() {
    for n in 0..8 {
        assert!(parse_head(&header(3, 1, 1, None)[..n]).is_err());
    }
    let mut f = header(3, 1, 1, None);
    f[8..10].copy_from_slice(&i16::MAX.to_be_bytes());
    assert!(parse_head(&f).is_err());
    f[8..10].copy_from_slice(&(-2i16).to_be_bytes());
    assert!(parse_head(&f).is_err());
    let mut f = header(3, 12, 1, None);
    f.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]); // 2^32-1 tagged fields, no bytes
    assert!(parse_head(&f).is_err());
}

#[test]
fn response_frames_carry_size_and_header_version() {
    let r = ResponseKind::ApiVersions(ApiVersionsResponse::default());
    let b = encode_response(5, 18, 3, &r).unwrap();
    assert_eq!(
        i32::from_be_bytes(b[0..4].try_into().unwrap()) as usize,
        b.len() - 4
    );
    assert_eq!(&b[4..8], &5i32.to_be_bytes());
    // v3 body starts right after the correlation id: error_code 0 (no header tag byte).
    assert_eq!(&b[8..10], &[0, 0]);

    let r = ResponseKind::Metadata(MetadataResponse::default());
    let flex = encode_response(6, 3, 12, &r).unwrap();
    let plain = encode_response(6, 3, 1, &r).unwrap();
    assert_eq!(flex[8], 0, "header v1 has an empty tagged-field section");
    assert!(flex.len() > plain.len());
}
