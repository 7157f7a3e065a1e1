//! Consumer-group benchmarks over raw connections: how long a group of N members takes from the
//! first JoinGroup to every member holding its SyncGroup assignment, and heartbeat round trips
//! while a producer keeps the write path busy. Requests are encoded with kafka-protocol, as a
//! client would send them.

use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use bytes::{Buf, BytesMut};
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    ApiKey, GroupId, HeartbeatRequest, HeartbeatResponse, JoinGroupRequest, JoinGroupResponse,
    SyncGroupRequest, SyncGroupResponse,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use kafka_protocol::ResponseError;

use crate::raw::{self, Outcome};

const JOIN_VERSION: i16 = 7;
const SYNC_VERSION: i16 = 5;
const HEARTBEAT_VERSION: i16 = 4;

/// Send one request and decode its response.
fn call<Req: Encodable, Resp: Decodable>(
    s: &mut TcpStream,
    key: ApiKey,
    version: i16,
    req: &Req,
) -> Resp {
    let mut body = BytesMut::new();
    req.encode(&mut body, version).expect("encode request");
    let flexible = key.request_header_version(version) >= 2;
    let frame = raw::frame(&raw::header(key as i16, version, 1, flexible), &body);
    let resp = match raw::send_and_read(s, &frame) {
        Outcome::Response(r) => r,
        other => panic!("{key:?} v{version}: {other:?}"),
    };
    let mut buf = bytes::Bytes::from(resp);
    buf.advance(4); // correlation id
    if key.response_header_version(version) >= 1 {
        buf.advance(1); // empty tagged fields
    }
    Resp::decode(&mut buf, version).expect("decode response")
}

fn join(s: &mut TcpStream, group: &str, member_id: &str) -> JoinGroupResponse {
    let mut p = JoinGroupRequestProtocol::default();
    p.name = StrBytes::from_static_str("range");
    p.metadata = bytes::Bytes::from_static(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let mut req = JoinGroupRequest::default();
    req.group_id = GroupId(StrBytes::from_string(group.to_string()));
    req.member_id = StrBytes::from_string(member_id.to_string());
    req.session_timeout_ms = 30_000;
    req.rebalance_timeout_ms = 30_000;
    req.protocol_type = StrBytes::from_static_str("consumer");
    req.protocols = vec![p];
    call(s, ApiKey::JoinGroup, JOIN_VERSION, &req)
}

/// One member's path to a stable group: join (with the MEMBER_ID_REQUIRED round trip), wait at
/// the barrier, sync. Returns (member id, generation).
fn member(group: &str) -> (TcpStream, String, i32) {
    let mut s = raw::connect();
    let mut r = join(&mut s, group, "");
    if r.error_code == ResponseError::MemberIdRequired.code() {
        let id = r.member_id.to_string();
        r = join(&mut s, group, &id);
    }
    assert_eq!(r.error_code, 0, "join");
    let me = r.member_id.to_string();
    let mut req = SyncGroupRequest::default();
    req.group_id = GroupId(StrBytes::from_string(group.to_string()));
    req.generation_id = r.generation_id;
    req.member_id = r.member_id.clone();
    req.protocol_type = Some(StrBytes::from_static_str("consumer"));
    req.protocol_name = Some(StrBytes::from_static_str("range"));
    if r.leader == r.member_id {
        req.assignments = r
            .members
            .iter()
            .map(|m| {
                let mut a = SyncGroupRequestAssignment::default();
                a.member_id = m.member_id.clone();
                a.assignment = bytes::Bytes::from_static(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
                a
            })
            .collect();
    }
    let sync: SyncGroupResponse = call(&mut s, ApiKey::SyncGroup, SYNC_VERSION, &req);
    assert_eq!(sync.error_code, 0, "sync");
    (s, me, r.generation_id)
}

/// Time from the first JoinGroup of `members` simultaneous members to the last one holding its
/// assignment.
pub fn join_to_stable(group: &str, members: usize) -> Duration {
    let start_line = Arc::new(Barrier::new(members + 1));
    let handles: Vec<_> = (0..members)
        .map(|_| {
            let b = start_line.clone();
            let g = group.to_string();
            std::thread::spawn(move || {
                b.wait();
                member(&g)
            })
        })
        .collect();
    start_line.wait();
    let start = Instant::now();
    let mut generations = Vec::new();
    for h in handles {
        generations.push(h.join().expect("member thread").2);
    }
    let took = start.elapsed();
    assert!(
        generations.windows(2).all(|w| w[0] == w[1]),
        "every member ends in one generation: {generations:?}"
    );
    took
}

/// Heartbeat round trips of one stable member, `count` of them `every` apart.
pub fn heartbeat_round_trips(group: &str, count: usize, every: Duration) -> Vec<Duration> {
    let (mut s, me, generation) = member(group);
    let mut req = HeartbeatRequest::default();
    req.group_id = GroupId(StrBytes::from_string(group.to_string()));
    req.member_id = StrBytes::from_string(me);
    req.generation_id = generation;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let t = Instant::now();
        let r: HeartbeatResponse = call(&mut s, ApiKey::Heartbeat, HEARTBEAT_VERSION, &req);
        out.push(t.elapsed());
        assert_eq!(r.error_code, 0, "heartbeat");
        std::thread::sleep(every);
    }
    out
}
