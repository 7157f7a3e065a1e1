//! Behaviour of the group coordinator's state machine through the handlers, on tokio's paused
//! clock: generations, the join barrier, session expiry, static membership, fencing.

use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::describe_groups_response::DescribedGroup;
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::*;
use kafka_protocol::ResponseError;

use super::testkit::{group_harness, Harness};
use crate::broker::str_bytes;
use crate::group::Limits;

pub(super) const G: &str = "g";

/// ConsumerProtocolSubscription v0 of `topics`, null user data.
pub(super) fn subscription(topics: &[&str]) -> Bytes {
    let mut b = vec![0, 0];
    b.extend_from_slice(&(topics.len() as i32).to_be_bytes());
    for t in topics {
        b.extend_from_slice(&(t.len() as i16).to_be_bytes());
        b.extend_from_slice(t.as_bytes());
    }
    b.extend_from_slice(&[0xff; 4]);
    Bytes::from(b)
}

pub(super) fn join_req(
    group: &str,
    member: &str,
    instance: Option<&str>,
    meta: Bytes,
) -> JoinGroupRequest {
    let mut p = JoinGroupRequestProtocol::default();
    p.name = str_bytes("range");
    p.metadata = meta;
    let mut r = JoinGroupRequest::default();
    r.group_id = GroupId(str_bytes(group));
    r.session_timeout_ms = 10_000;
    r.rebalance_timeout_ms = 30_000;
    r.member_id = str_bytes(member);
    r.group_instance_id = instance.map(str_bytes);
    r.protocol_type = str_bytes("consumer");
    r.protocols = vec![p];
    r
}

pub(super) async fn join(h: &Harness, v: i16, req: JoinGroupRequest) -> JoinGroupResponse {
    match h.call(v, req).await {
        Some(ResponseKind::JoinGroup(r)) => r,
        other => panic!("{other:?}"),
    }
}

/// A member id handed out with MEMBER_ID_REQUIRED (v4+).
pub(super) async fn new_id(h: &Harness, group: &str) -> String {
    let r = join(h, 5, join_req(group, "", None, subscription(&["t"]))).await;
    assert_eq!(r.error_code, ResponseError::MemberIdRequired.code());
    r.member_id.to_string()
}

pub(super) async fn sync(
    h: &Harness,
    v: i16,
    group: &str,
    generation: i32,
    member: &str,
    assignments: &[(&str, &'static [u8])],
) -> SyncGroupResponse {
    let mut r = SyncGroupRequest::default();
    r.group_id = GroupId(str_bytes(group));
    r.generation_id = generation;
    r.member_id = str_bytes(member);
    r.assignments = assignments
        .iter()
        .map(|(m, a)| {
            let mut x = SyncGroupRequestAssignment::default();
            x.member_id = str_bytes(m);
            x.assignment = Bytes::from_static(a);
            x
        })
        .collect();
    match h.call(v, r).await {
        Some(ResponseKind::SyncGroup(r)) => r,
        other => panic!("{other:?}"),
    }
}

pub(super) async fn heartbeat(h: &Harness, group: &str, generation: i32, member: &str) -> i16 {
    let mut r = HeartbeatRequest::default();
    r.group_id = GroupId(str_bytes(group));
    r.generation_id = generation;
    r.member_id = str_bytes(member);
    match h.call(4, r).await {
        Some(ResponseKind::Heartbeat(r)) => r.error_code,
        other => panic!("{other:?}"),
    }
}

pub(super) async fn describe(h: &Harness, v: i16, group: &str) -> DescribedGroup {
    let mut r = DescribeGroupsRequest::default();
    r.groups = vec![GroupId(str_bytes(group))];
    match h.call(v, r).await {
        Some(ResponseKind::DescribeGroups(mut r)) => r.groups.remove(0),
        other => panic!("{other:?}"),
    }
}

/// Two members through MEMBER_ID_REQUIRED, join and sync: (leader, follower, generation).
pub(super) async fn stable_pair(h: &Harness, group: &str) -> (String, String, i32) {
    let (a, b) = (new_id(h, group).await, new_id(h, group).await);
    let meta = || subscription(&["t"]);
    let (ra, rb) = tokio::join!(
        join(h, 5, join_req(group, &a, None, meta())),
        join(h, 5, join_req(group, &b, None, meta()))
    );
    assert_eq!((ra.error_code, rb.error_code), (0, 0));
    assert_eq!(ra.generation_id, rb.generation_id);
    assert_eq!(ra.leader, rb.leader);
    let leader = ra.leader.to_string();
    let follower = if leader == a { b } else { a };
    let generation = ra.generation_id;
    let asg: [(&str, &'static [u8]); 2] = [(&leader, b"L"), (&follower, b"F")];
    let (sl, sf) = tokio::join!(
        sync(h, 5, group, generation, &leader, &asg),
        sync(h, 5, group, generation, &follower, &[])
    );
    assert_eq!((sl.error_code, sf.error_code), (0, 0));
    assert_eq!(
        (&sl.assignment[..], &sf.assignment[..]),
        (&b"L"[..], &b"F"[..])
    );
    (leader, follower, generation)
}

#[tokio::test(start_paused = true)]
async fn two_members_form_one_generation_and_get_their_assignments() {
    let h = group_harness(Limits::default());
    let a = new_id(&h, G).await;
    let b = new_id(&h, G).await;
    let (ra, rb) = tokio::join!(
        join(&h, 5, join_req(G, &a, None, subscription(&["t"]))),
        join(&h, 5, join_req(G, &b, None, subscription(&["t", "u"])))
    );
    assert_eq!((ra.error_code, rb.error_code), (0, 0));
    assert_eq!((ra.generation_id, rb.generation_id), (1, 1));
    assert_eq!(ra.protocol_name.as_deref(), Some("range"));
    let (leader, follower) = if ra.leader.as_str() == a {
        (ra, rb)
    } else {
        (rb, ra)
    };
    assert_eq!(leader.members.len(), 2);
    assert!(follower.members.is_empty());
    let (l, f) = (leader.member_id.to_string(), follower.member_id.to_string());
    // The follower's SyncGroup waits for the leader's assignment.
    let asg: [(&str, &'static [u8]); 2] = [(&l, b"one"), (&f, b"two")];
    let (sf, sl) = tokio::join!(sync(&h, 5, G, 1, &f, &[]), sync(&h, 5, G, 1, &l, &asg));
    assert_eq!(&sl.assignment[..], b"one");
    assert_eq!(&sf.assignment[..], b"two");
    assert_eq!(sl.protocol_name.as_deref(), Some("range"));
    assert_eq!(
        (heartbeat(&h, G, 1, &l).await, heartbeat(&h, G, 1, &f).await),
        (0, 0)
    );
    let d = describe(&h, 5, G).await;
    assert_eq!(d.group_state.as_str(), "Stable");
    assert_eq!(d.protocol_data.as_str(), "range");
    assert_eq!(d.members.len(), 2);
    // The generation was committed before SyncGroup answered.
    let stored = h.committed().groups;
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (stored[0].generation_id, stored[0].state.as_str()),
        (1, "Stable")
    );
    let mut assignments: Vec<Vec<u8>> = stored[0]
        .members
        .iter()
        .map(|m| m.assignment.clone())
        .collect();
    assignments.sort();
    assert_eq!(assignments, vec![b"one".to_vec(), b"two".to_vec()]);
}

#[tokio::test(start_paused = true)]
async fn every_version_joins_syncs_and_heartbeats() {
    let h = group_harness(Limits::default());
    for v in 0..=9i16 {
        let group = format!("v{v}");
        let mut req = join_req(&group, "", None, subscription(&["t"]));
        if v < 5 {
            req.group_instance_id = None;
        }
        if v == 0 {
            req.rebalance_timeout_ms = -1;
        }
        let mut r = join(&h, v, req.clone()).await;
        if v >= 4 {
            assert_eq!(r.error_code, ResponseError::MemberIdRequired.code(), "v{v}");
            req.member_id = r.member_id.clone();
            r = join(&h, v, req).await;
        }
        assert_eq!((r.error_code, r.generation_id), (0, 1), "v{v}");
        assert_eq!(r.leader, r.member_id);
        let m = r.member_id.to_string();
        let sv = v.min(5);
        let s = sync(&h, sv, &group, 1, &m, &[(&m, b"x")]).await;
        assert_eq!((s.error_code, &s.assignment[..]), (0, &b"x"[..]), "v{v}");
        let mut hb = HeartbeatRequest::default();
        hb.group_id = GroupId(str_bytes(&group));
        hb.generation_id = 1;
        hb.member_id = str_bytes(&m);
        match h.call(v.min(4), hb).await {
            Some(ResponseKind::Heartbeat(r)) => assert_eq!(r.error_code, 0),
            other => panic!("{other:?}"),
        }
        let d = describe(&h, v.min(5), &group).await;
        assert_eq!(&d.members[0].member_assignment[..], b"x");
    }
}

#[tokio::test(start_paused = true)]
async fn a_member_that_stops_heartbeating_expires_and_the_group_rebalances() {
    let h = group_harness(Limits::default());
    let (l, f, generation) = stable_pair(&h, G).await;
    // Only the leader heartbeats; the follower's 10 s session runs out.
    let mut code = 0;
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_secs(3)).await;
        code = heartbeat(&h, G, generation, &l).await;
        if code != 0 {
            break;
        }
    }
    assert_eq!(code, ResponseError::RebalanceInProgress.code());
    let r = join(&h, 5, join_req(G, &l, None, subscription(&["t"]))).await;
    assert_eq!((r.error_code, r.generation_id), (0, generation + 1));
    assert_eq!(r.members.len(), 1);
    assert_eq!(
        heartbeat(&h, G, generation, &f).await,
        ResponseError::UnknownMemberId.code()
    );
}

#[tokio::test(start_paused = true)]
async fn a_third_member_joins_and_the_group_rebalances_with_three() {
    let h = group_harness(Limits::default());
    let (l, f, generation) = stable_pair(&h, G).await;
    let c = new_id(&h, G).await;
    let rejoin = |m: String| {
        let h = &h;
        async move {
            assert_eq!(
                heartbeat(h, G, generation, &m).await,
                ResponseError::RebalanceInProgress.code()
            );
            join(h, 5, join_req(G, &m, None, subscription(&["t"]))).await
        }
    };
    let (rc, rl, rf) = tokio::join!(
        join(&h, 5, join_req(G, &c, None, subscription(&["t"]))),
        rejoin(l.clone()),
        rejoin(f.clone())
    );
    for r in [&rc, &rl, &rf] {
        assert_eq!((r.error_code, r.generation_id), (0, generation + 1));
    }
    assert_eq!(rl.leader.as_str(), l, "the leader stays the leader");
    assert_eq!(rl.members.len(), 3);
    assert!(rc.members.is_empty() && rf.members.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_changed_subscription_in_stable_starts_an_incremental_rebalance() {
    // Cooperative-sticky: after revoking, a member rejoins with new metadata (owned partitions);
    // the others learn of it through their heartbeats and rejoin with what they own.
    let h = group_harness(Limits::default());
    let (l, f, generation) = stable_pair(&h, G).await;
    let (rf, rl) = tokio::join!(
        join(&h, 5, join_req(G, &f, None, subscription(&["t", "owned"]))),
        async {
            let code = heartbeat(&h, G, generation, &l).await;
            assert_eq!(code, ResponseError::RebalanceInProgress.code());
            // Still allowed: the commit a member makes while revoking.
            join(&h, 5, join_req(G, &l, None, subscription(&["t"]))).await
        }
    );
    assert_eq!(
        (rf.generation_id, rl.generation_id),
        (generation + 1, generation + 1)
    );
    let meta = rl
        .members
        .iter()
        .find(|m| m.member_id.as_str() == f)
        .unwrap();
    assert_eq!(meta.metadata, subscription(&["t", "owned"]));
    // An unchanged follower rejoining in Stable gets the current generation at once.
    let asg: [(&str, &'static [u8]); 2] = [(&l, b"1"), (&f, b"2")];
    let (s1, s2) = tokio::join!(
        sync(&h, 5, G, generation + 1, &l, &asg),
        sync(&h, 5, G, generation + 1, &f, &[])
    );
    assert_eq!((s1.error_code, s2.error_code), (0, 0));
    let again = join(&h, 5, join_req(G, &f, None, subscription(&["t", "owned"]))).await;
    assert_eq!((again.error_code, again.generation_id), (0, generation + 1));
}

#[tokio::test(start_paused = true)]
async fn member_id_required_then_join_with_the_id_and_v3_joins_directly() {
    let h = group_harness(Limits::default());
    let id = new_id(&h, G).await;
    assert!(!id.is_empty());
    // An id never handed out is unknown.
    let r = join(&h, 5, join_req(G, "made-up", None, subscription(&["t"]))).await;
    assert_eq!(r.error_code, ResponseError::UnknownMemberId.code());
    let r = join(&h, 5, join_req(G, &id, None, subscription(&["t"]))).await;
    assert_eq!((r.error_code, r.member_id.as_str()), (0, id.as_str()));
    let r = join(&h, 3, join_req("old", "", None, subscription(&["t"]))).await;
    assert_eq!((r.error_code, r.generation_id), (0, 1));
    assert!(!r.member_id.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_static_member_restarts_without_a_rebalance_and_a_duplicate_is_fenced() {
    let h = group_harness(Limits::default());
    let meta = || subscription(&["t"]);
    let (ra, rb) = tokio::join!(
        join(&h, 5, join_req(G, "", Some("i1"), meta())),
        join(&h, 5, join_req(G, "", Some("i2"), meta()))
    );
    assert_eq!((ra.error_code, rb.error_code), (0, 0));
    let (a, b) = (ra.member_id.to_string(), rb.member_id.to_string());
    let leader = ra.leader.to_string();
    let generation = ra.generation_id;
    let follower = if leader == a { b.clone() } else { a.clone() };
    let asg: [(&str, &'static [u8]); 2] = [(&a, b"A"), (&b, b"B")];
    let (s1, s2) = tokio::join!(
        sync(&h, 5, G, generation, &follower, &[]),
        sync(&h, 5, G, generation, &leader, &asg)
    );
    assert_eq!((s1.error_code, s2.error_code), (0, 0));
    // i1 restarts: new member id, same generation, its assignment back, no rebalance.
    let r = join(&h, 5, join_req(G, "", Some("i1"), meta())).await;
    assert_eq!((r.error_code, r.generation_id), (0, generation));
    assert_ne!(r.member_id.as_str(), a);
    assert!(r.members.is_empty());
    assert_ne!(
        r.leader, r.member_id,
        "the new incarnation syncs as a follower"
    );
    let a2 = r.member_id.to_string();
    let s = sync(&h, 5, G, generation, &a2, &[]).await;
    assert_eq!((s.error_code, &s.assignment[..]), (0, &b"A"[..]));
    assert_eq!(describe(&h, 5, G).await.group_state.as_str(), "Stable");
    assert_eq!(heartbeat(&h, G, generation, &b).await, 0);
    // The old incarnation is fenced.
    let mut hb = HeartbeatRequest::default();
    hb.group_id = GroupId(str_bytes(G));
    hb.generation_id = generation;
    hb.member_id = str_bytes(&a);
    hb.group_instance_id = Some(str_bytes("i1"));
    match h.call(4, hb).await {
        Some(ResponseKind::Heartbeat(r)) => {
            assert_eq!(r.error_code, ResponseError::FencedInstanceId.code())
        }
        other => panic!("{other:?}"),
    }
    let r = join(&h, 5, join_req(G, &a, Some("i1"), meta())).await;
    assert_eq!(r.error_code, ResponseError::FencedInstanceId.code());
}

#[tokio::test(start_paused = true)]
async fn leave_group_single_and_batch_rebalances_the_rest() {
    let h = group_harness(Limits::default());
    let (l, f, generation) = stable_pair(&h, G).await;
    let mut leave = LeaveGroupRequest::default();
    leave.group_id = GroupId(str_bytes(G));
    leave.member_id = str_bytes(&f);
    match h.call(0, leave).await {
        Some(ResponseKind::LeaveGroup(r)) => assert_eq!(r.error_code, 0),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        heartbeat(&h, G, generation, &l).await,
        ResponseError::RebalanceInProgress.code()
    );
    let r = join(&h, 5, join_req(G, &l, None, subscription(&["t"]))).await;
    assert_eq!((r.generation_id, r.members.len()), (generation + 1, 1));
    let mut batch = LeaveGroupRequest::default();
    batch.group_id = GroupId(str_bytes(G));
    batch.members = [l.as_str(), "nobody"]
        .iter()
        .map(|m| {
            let mut x = MemberIdentity::default();
            x.member_id = str_bytes(m);
            x
        })
        .collect();
    match h.call(5, batch).await {
        Some(ResponseKind::LeaveGroup(r)) => {
            let codes: Vec<i16> = r.members.iter().map(|m| m.error_code).collect();
            assert_eq!(codes, vec![0, ResponseError::UnknownMemberId.code()]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(describe(&h, 5, G).await.group_state.as_str(), "Empty");
    tokio::time::sleep(Duration::from_millis(50)).await;
    let stored = h.committed().groups;
    assert_eq!(stored[0].state, "Empty");
    assert!(stored[0].members.is_empty());
}
