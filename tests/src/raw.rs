//! Raw Kafka frames over `std::net::TcpStream`, for tests that send what no client library would.
//!
//! Requests are built by hand (so they can lie about lengths and counts); well-formed responses
//! are decoded with `kafka-protocol`. Every socket has read/write timeouts so a silent broker
//! fails the test instead of hanging it.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::{ApiKey, ApiVersionsResponse, ResponseHeader};
use kafka_protocol::protocol::Decodable;

/// Longest a raw test waits for one response.
pub const IO_TIMEOUT: Duration = Duration::from_secs(20);

/// Largest response body these helpers accept (guards the test process, not the broker).
const MAX_RESPONSE: usize = 64 << 20;

/// A new connection to the broker with timeouts set.
pub fn connect() -> TcpStream {
    let addr = crate::bootstrap();
    let s = TcpStream::connect(&addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    s.set_read_timeout(Some(IO_TIMEOUT)).expect("read timeout");
    s.set_write_timeout(Some(IO_TIMEOUT))
        .expect("write timeout");
    s.set_nodelay(true).expect("nodelay");
    s
}

/// A request header: v1 (classic) or v2 (flexible: adds an empty tagged-field section).
pub fn header(api_key: i16, api_version: i16, correlation_id: i32, flexible: bool) -> Vec<u8> {
    let mut h = Vec::with_capacity(24);
    h.extend_from_slice(&api_key.to_be_bytes());
    h.extend_from_slice(&api_version.to_be_bytes());
    h.extend_from_slice(&correlation_id.to_be_bytes());
    let client_id = b"pg_kafka_tests";
    h.extend_from_slice(&(client_id.len() as i16).to_be_bytes());
    h.extend_from_slice(client_id);
    if flexible {
        h.push(0);
    }
    h
}

/// Length-prefixed frame of `header ++ body`.
pub fn frame(header: &[u8], body: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(4 + header.len() + body.len());
    f.extend_from_slice(&((header.len() + body.len()) as i32).to_be_bytes());
    f.extend_from_slice(header);
    f.extend_from_slice(body);
    f
}

/// A classic (non-flexible) request frame.
pub fn request(api_key: i16, api_version: i16, correlation_id: i32, body: &[u8]) -> Vec<u8> {
    frame(&header(api_key, api_version, correlation_id, false), body)
}

/// What the broker did after a raw send.
#[derive(Debug)]
pub enum Outcome {
    /// A whole response frame (without its length prefix).
    Response(Vec<u8>),
    /// The broker closed or reset the connection.
    Closed,
    /// Nothing arrived within `IO_TIMEOUT`.
    TimedOut,
}

/// Writes `bytes`; a write failing because the broker already closed counts as `Closed`.
pub fn send(s: &mut TcpStream, bytes: &[u8]) -> Result<(), Outcome> {
    match s.write_all(bytes).and_then(|_| s.flush()) {
        Ok(()) => Ok(()),
        Err(e) if is_closed(&e) => Err(Outcome::Closed),
        Err(e) if is_timeout(&e) => Err(Outcome::TimedOut),
        Err(e) => panic!("write: {e}"),
    }
}

fn is_closed(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::UnexpectedEof
            | ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::BrokenPipe
    )
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// Reads one response frame.
pub fn read_frame(s: &mut TcpStream) -> Outcome {
    let mut len = [0u8; 4];
    if let Err(e) = s.read_exact(&mut len) {
        return if is_timeout(&e) {
            Outcome::TimedOut
        } else if is_closed(&e) {
            Outcome::Closed
        } else {
            panic!("read: {e}")
        };
    }
    let len = i32::from_be_bytes(len);
    assert!(
        len >= 4 && (len as usize) <= MAX_RESPONSE,
        "broker sent a response frame of length {len}"
    );
    let mut body = vec![0u8; len as usize];
    match s.read_exact(&mut body) {
        Ok(()) => Outcome::Response(body),
        Err(e) if is_timeout(&e) => Outcome::TimedOut,
        Err(e) if is_closed(&e) => Outcome::Closed,
        Err(e) => panic!("read: {e}"),
    }
}

/// Sends `bytes` and reads what comes back.
pub fn send_and_read(s: &mut TcpStream, bytes: &[u8]) -> Outcome {
    match send(s, bytes) {
        Ok(()) => read_frame(s),
        Err(o) => o,
    }
}

/// Splits a response into (correlation id, body) for a classic (v0) response header.
pub fn split_v0(resp: &[u8]) -> (i32, Bytes) {
    let mut b = Bytes::copy_from_slice(resp);
    let h = ResponseHeader::decode(&mut b, 0).expect("response header v0");
    (h.correlation_id, b)
}

/// Decodes an ApiVersions response body of `version` (its header is always v0).
pub fn decode_api_versions(resp: &[u8], version: i16) -> (i32, ApiVersionsResponse) {
    let (cid, mut body) = split_v0(resp);
    let r = ApiVersionsResponse::decode(&mut body, version)
        .unwrap_or_else(|e| panic!("decode ApiVersions v{version} response: {e}"));
    (cid, r)
}

/// ApiVersions v0 on a new connection: the broker is alive and answers sensibly.
pub fn assert_broker_alive() {
    let mut s = connect();
    let cid = 0x5eed;
    match send_and_read(&mut s, &request(ApiKey::ApiVersions as i16, 0, cid, &[])) {
        Outcome::Response(r) => {
            let (got_cid, resp) = decode_api_versions(&r, 0);
            assert_eq!(got_cid, cid, "correlation id of ApiVersions");
            assert_eq!(resp.error_code, 0, "ApiVersions v0 error code");
            assert!(
                resp.api_keys
                    .iter()
                    .any(|k| k.api_key == ApiKey::Produce as i16),
                "ApiVersions lists Produce"
            );
        }
        other => panic!("broker did not answer ApiVersions on a new connection: {other:?}"),
    }
}

/// Body of a Produce v3 request with one topic and one partition carrying `records`.
pub fn produce_v3_body(topic: &str, partition: i32, acks: i16, records: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(64 + records.len());
    b.extend_from_slice(&(-1i16).to_be_bytes()); // transactional_id: null
    b.extend_from_slice(&acks.to_be_bytes());
    b.extend_from_slice(&30_000i32.to_be_bytes()); // timeout_ms
    b.extend_from_slice(&1i32.to_be_bytes()); // topics
    b.extend_from_slice(&(topic.len() as i16).to_be_bytes());
    b.extend_from_slice(topic.as_bytes());
    b.extend_from_slice(&1i32.to_be_bytes()); // partitions
    b.extend_from_slice(&partition.to_be_bytes());
    b.extend_from_slice(&(records.len() as i32).to_be_bytes());
    b.extend_from_slice(records);
    b
}

/// Error codes per partition of a Produce v3 response.
pub fn produce_v3_error_codes(resp: &[u8]) -> Vec<i16> {
    use kafka_protocol::messages::ProduceResponse;
    let (_, mut body) = split_v0(resp);
    let r = ProduceResponse::decode(&mut body, 3).expect("decode Produce v3 response");
    r.responses
        .iter()
        .flat_map(|t| t.partition_responses.iter().map(|p| p.error_code))
        .collect()
}

/// InitProducerId v0 with no transactional id on a new connection: (producer id, epoch).
pub fn init_producer_id() -> (i64, i16) {
    init_producer_id_for(None)
}

/// Appends a classic nullable string.
pub fn put_nullable_string(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.extend_from_slice(&(-1i16).to_be_bytes()),
        Some(s) => {
            out.extend_from_slice(&(s.len() as i16).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        }
    }
}

/// InitProducerId v0 for `transactional_id` (None: a plain idempotent producer) on a new
/// connection: (producer id, epoch).
pub fn init_producer_id_for(transactional_id: Option<&str>) -> (i64, i16) {
    use kafka_protocol::messages::InitProducerIdResponse;
    let mut body = Vec::new();
    put_nullable_string(&mut body, transactional_id);
    body.extend_from_slice(&60_000i32.to_be_bytes()); // transaction_timeout_ms
    let mut s = connect();
    let cid = 0x1d;
    match send_and_read(
        &mut s,
        &request(ApiKey::InitProducerId as i16, 0, cid, &body),
    ) {
        Outcome::Response(r) => {
            let (got, mut b) = split_v0(&r);
            assert_eq!(got, cid, "correlation id of InitProducerId");
            let r = InitProducerIdResponse::decode(&mut b, 0).expect("decode InitProducerId v0");
            assert_eq!(r.error_code, 0, "InitProducerId error code");
            assert!(
                r.producer_id.0 >= 0,
                "InitProducerId gave id {:?}",
                r.producer_id
            );
            (r.producer_id.0, r.producer_epoch)
        }
        other => panic!("InitProducerId: {other:?}"),
    }
}

/// (error code, base offset) per partition of a Produce v3 response.
pub fn produce_v3_results(resp: &[u8]) -> Vec<(i16, i64)> {
    use kafka_protocol::messages::ProduceResponse;
    let (_, mut body) = split_v0(resp);
    let r = ProduceResponse::decode(&mut body, 3).expect("decode Produce v3 response");
    r.responses
        .iter()
        .flat_map(|t| {
            t.partition_responses
                .iter()
                .map(|p| (p.error_code, p.base_offset))
        })
        .collect()
}

/// Sends `batch` to `topic`/`partition` with acks=all on `s` and returns the partition's
/// (error code, base offset).
pub fn produce_one(
    s: &mut TcpStream,
    cid: i32,
    topic: &str,
    partition: i32,
    batch: &[u8],
) -> (i16, i64) {
    let body = produce_v3_body(topic, partition, -1, batch);
    match send_and_read(s, &request(ApiKey::Produce as i16, 3, cid, &body)) {
        Outcome::Response(r) => {
            let (got, _) = split_v0(&r);
            assert_eq!(got, cid, "correlation id of Produce");
            let res = produce_v3_results(&r);
            assert_eq!(res.len(), 1, "one partition in the Produce answer: {res:?}");
            res[0]
        }
        other => panic!("Produce to {topic}/{partition}: {other:?}"),
    }
}
