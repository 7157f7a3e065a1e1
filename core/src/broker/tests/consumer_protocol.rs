//! Behaviour of consumer-protocol groups (KIP-848) through the handlers, on tokio's paused
//! clock: joining, revocation before reassignment, convergence, expiry, leaving, fencing.

use std::collections::BTreeSet;
use std::time::Duration;

use kafka_protocol::messages::consumer_group_heartbeat_request::TopicPartitions;
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::*;
use kafka_protocol::ResponseError;
use uuid::Uuid;

use super::testkit::{group_harness, Harness};
use crate::broker::{str_bytes, topic_name};
use crate::group::Limits;

pub(super) const CG: &str = "cg";

pub(super) async fn create_topic(h: &Harness, name: &str, partitions: i32) -> Uuid {
    let mut t = CreatableTopic::default();
    t.name = topic_name(name);
    t.num_partitions = partitions;
    t.replication_factor = 1;
    let mut r = CreateTopicsRequest::default();
    r.topics = vec![t];
    match h.call(5, r).await {
        Some(ResponseKind::CreateTopics(r)) => assert_eq!(r.topics[0].error_code, 0),
        other => panic!("{other:?}"),
    }
    h.ctx.registry.get(name).map(|t| t.id).unwrap_or_default()
}

/// A first heartbeat (epoch 0) of `member` subscribing to `topics`.
pub(super) fn join_req(
    member: &str,
    topics: &[&str],
    assignor: Option<&str>,
) -> ConsumerGroupHeartbeatRequest {
    let mut r = ConsumerGroupHeartbeatRequest::default();
    r.group_id = GroupId(str_bytes(CG));
    r.member_id = str_bytes(member);
    r.member_epoch = 0;
    r.rebalance_timeout_ms = 30_000;
    r.subscribed_topic_names = Some(topics.iter().map(|t| topic_name(t)).collect());
    r.server_assignor = assignor.map(str_bytes);
    r.topic_partitions = Some(Vec::new());
    r
}

/// A later heartbeat: nothing changed but, when given, the owned partitions of topic `t`.
pub(super) fn beat(
    member: &str,
    epoch: i32,
    owned: Option<(Uuid, &[i32])>,
) -> ConsumerGroupHeartbeatRequest {
    let mut r = ConsumerGroupHeartbeatRequest::default();
    r.group_id = GroupId(str_bytes(CG));
    r.member_id = str_bytes(member);
    r.member_epoch = epoch;
    r.topic_partitions = owned.map(|(t, ps)| {
        let mut tp = TopicPartitions::default();
        tp.topic_id = t;
        tp.partitions = ps.to_vec();
        vec![tp]
    });
    r
}

pub(super) async fn hb(
    h: &Harness,
    v: i16,
    r: ConsumerGroupHeartbeatRequest,
) -> ConsumerGroupHeartbeatResponse {
    match h.call(v, r).await {
        Some(ResponseKind::ConsumerGroupHeartbeat(r)) => r,
        other => panic!("{other:?}"),
    }
}

/// The partitions of topic `t` in a heartbeat's assignment; `None` when it carried none.
pub(super) fn parts(r: &ConsumerGroupHeartbeatResponse, t: Uuid) -> Option<BTreeSet<i32>> {
    r.assignment.as_ref().map(|a| {
        a.topic_partitions
            .iter()
            .filter(|tp| tp.topic_id == t)
            .flat_map(|tp| tp.partitions.iter().copied())
            .collect()
    })
}

pub(super) async fn describe(
    h: &Harness,
    v: i16,
) -> consumer_group_describe_response::DescribedGroup {
    let mut r = ConsumerGroupDescribeRequest::default();
    r.group_ids = vec![GroupId(str_bytes(CG))];
    match h.call(v, r).await {
        Some(ResponseKind::ConsumerGroupDescribe(mut r)) => r.groups.remove(0),
        other => panic!("{other:?}"),
    }
}

fn set(v: std::ops::Range<i32>) -> Option<BTreeSet<i32>> {
    Some(v.collect())
}

/// A owns all six partitions; B joins (v0, broker-chosen id); A gives up half before B gets it.
/// Returns (t, B's id).
async fn two_members_converge(h: &Harness) -> (Uuid, String) {
    let t = create_topic(h, "t", 6).await;
    let a = hb(h, 1, join_req("A", &["t"], None)).await;
    assert_eq!((a.error_code, a.member_epoch), (0, 1));
    assert_eq!(a.heartbeat_interval_ms, 3_000);
    assert_eq!(parts(&a, t), set(0..6));
    let a = hb(h, 1, beat("A", 1, Some((t, &[0, 1, 2, 3, 4, 5])))).await;
    assert_eq!((a.error_code, a.member_epoch, a.assignment), (0, 1, None));

    let b = hb(h, 0, join_req("", &["t"], None)).await;
    let b_id = b
        .member_id
        .clone()
        .map(|s| s.to_string())
        .unwrap_or_default();
    assert!(b.error_code == 0 && b_id.len() >= 16, "{b:?}");
    // B is at the new epoch but its target is still A's.
    assert_eq!((b.member_epoch, parts(&b, t)), (2, Some(BTreeSet::new())));
    // A's assignment shrinks first; its epoch moves only after it acknowledges.
    let a = hb(h, 1, beat("A", 1, Some((t, &[0, 1, 2, 3, 4, 5])))).await;
    assert_eq!((a.member_epoch, parts(&a, t)), (1, set(0..3)));
    let b = hb(h, 1, beat(&b_id, 2, Some((t, &[])))).await;
    assert_eq!(
        (b.error_code, b.assignment),
        (0, None),
        "nothing released yet"
    );
    let d = describe(h, 1).await;
    assert_eq!(d.group_state.as_str(), "Reconciling");
    let a = hb(h, 1, beat("A", 1, Some((t, &[0, 1, 2])))).await;
    assert_eq!((a.error_code, a.member_epoch, a.assignment), (0, 2, None));
    let b = hb(h, 1, beat(&b_id, 2, Some((t, &[])))).await;
    assert_eq!((b.member_epoch, parts(&b, t)), (2, set(3..6)));
    (t, b_id)
}

#[tokio::test(start_paused = true)]
async fn second_member_gets_partitions_only_after_the_first_revokes() {
    let h = group_harness(Limits::default());
    let (t, b_id) = two_members_converge(&h).await;
    for v in 0..=1 {
        let d = describe(&h, v).await;
        assert_eq!((d.error_code, d.group_state.as_str()), (0, "Stable"));
        assert_eq!((d.group_epoch, d.assignment_epoch), (2, 2));
        assert_eq!(d.assignor_name.as_str(), "uniform");
        let mut all = BTreeSet::new();
        for m in &d.members {
            assert_eq!(m.member_epoch, 2);
            assert_eq!(m.assignment, m.target_assignment);
            let ps = &m.assignment.topic_partitions[0];
            assert_eq!((ps.topic_id, ps.topic_name.0.as_str()), (t, "t"));
            assert_eq!(ps.partitions.len(), 3);
            all.extend(ps.partitions.iter().copied());
            assert_eq!(m.member_type, if v >= 1 { 1 } else { -1 });
        }
        assert_eq!(all, (0..6).collect(), "disjoint and complete");
        assert!(d.members.iter().any(|m| m.member_id.as_str() == b_id));
    }
}

#[tokio::test(start_paused = true)]
async fn a_silent_member_expires_and_the_other_gets_everything_then_leaves() {
    let h = group_harness(Limits::default());
    let (t, _b) = two_members_converge(&h).await;
    let mut epoch = 2;
    let mut owned: Vec<i32> = vec![0, 1, 2];
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let a = hb(&h, 1, beat("A", epoch, Some((t, &owned)))).await;
        assert_eq!(a.error_code, 0);
        epoch = a.member_epoch;
        if let Some(p) = parts(&a, t) {
            owned = p.into_iter().collect();
        }
    }
    assert_eq!((epoch, owned), (3, (0..6).collect::<Vec<_>>()));
    assert_eq!(describe(&h, 1).await.members.len(), 1);
    let left = hb(&h, 1, beat("A", -1, None)).await;
    assert_eq!((left.error_code, left.member_epoch), (0, -1));
    assert_eq!(describe(&h, 1).await.group_state.as_str(), "Empty");
    let again = hb(&h, 1, beat("A", 3, None)).await;
    assert_eq!(again.error_code, ResponseError::UnknownMemberId.code());
}

#[tokio::test(start_paused = true)]
async fn stale_and_future_epochs_are_fenced() {
    let h = group_harness(Limits::default());
    let (t, b_id) = two_members_converge(&h).await;
    let future = hb(&h, 1, beat("A", 7, None)).await;
    assert_eq!(future.error_code, ResponseError::FencedMemberEpoch.code());
    let stale = hb(&h, 1, beat("A", 1, None)).await;
    assert_eq!(stale.error_code, ResponseError::FencedMemberEpoch.code());
    // The previous epoch with owned partitions within the assignment: a lost response.
    let prev = hb(&h, 1, beat("A", 1, Some((t, &[0, 1])))).await;
    assert_eq!((prev.error_code, prev.member_epoch), (0, 2));
    let stranger = hb(&h, 1, beat("Z", 2, None)).await;
    assert_eq!(stranger.error_code, ResponseError::UnknownMemberId.code());
    // A static leave (-2) is a leave.
    let left = hb(&h, 1, beat(&b_id, -2, None)).await;
    assert_eq!((left.error_code, left.member_epoch), (0, -2));
    let a = hb(&h, 1, beat("A", 2, Some((t, &[0, 1, 2])))).await;
    assert_eq!((a.member_epoch, parts(&a, t)), (3, set(0..6)));
}

#[tokio::test(start_paused = true)]
async fn range_and_uniform_assignors_differ_on_two_topics() {
    for (assignor, sizes) in [("range", [4usize, 2]), ("uniform", [3, 3])] {
        let h = group_harness(Limits::default());
        create_topic(&h, "x", 3).await;
        create_topic(&h, "y", 3).await;
        for m in ["a", "b"] {
            let r = hb(&h, 1, join_req(m, &["x", "y"], Some(assignor))).await;
            assert_eq!(r.error_code, 0);
        }
        let d = describe(&h, 0).await;
        assert_eq!(d.assignor_name.as_str(), assignor);
        let got: Vec<usize> = d
            .members
            .iter()
            .map(|m| {
                let tps = &m.target_assignment.topic_partitions;
                tps.iter().map(|tp| tp.partitions.len()).sum()
            })
            .collect();
        assert_eq!(got, sizes, "{assignor}");
        if assignor == "range" {
            let a = &d.members[0].target_assignment.topic_partitions;
            assert!(a.iter().all(|tp| tp.partitions == vec![0, 1]), "{a:?}");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn bad_joins_get_the_kafka_errors() {
    let h = group_harness(Limits::default());
    create_topic(&h, "t", 1).await;
    let r = hb(&h, 1, join_req("A", &["t"], Some("sticky"))).await;
    assert_eq!(r.error_code, ResponseError::UnsupportedAssignor.code());
    for bad in ["t(", "t{2,", &"x".repeat(2000)] {
        let mut regex = join_req("A", &[], None);
        regex.subscribed_topic_regex = Some(str_bytes(bad));
        let r = hb(&h, 1, regex).await;
        assert_eq!(r.error_code, ResponseError::InvalidRegularExpression.code());
        assert!(r.error_message.is_some());
    }
    let mut neither = join_req("A", &[], None);
    neither.subscribed_topic_names = None;
    let r = hb(&h, 1, neither).await;
    assert_eq!(r.error_code, ResponseError::InvalidRequest.code());
    let r = hb(&h, 1, join_req("", &["t"], None)).await;
    assert_eq!(
        r.error_code,
        ResponseError::InvalidRequest.code(),
        "v1 needs an id"
    );
    for timeout in [-1, 0, i32::MIN] {
        let mut bad = join_req("A", &["t"], None);
        bad.rebalance_timeout_ms = timeout;
        let r = hb(&h, 1, bad).await;
        assert_eq!(r.error_code, ResponseError::InvalidRequest.code());
    }
    let mut huge = join_req("A", &["t"], None);
    huge.rebalance_timeout_ms = i32::MAX;
    let r = hb(&h, 1, huge).await;
    assert_eq!((r.error_code, r.member_epoch), (0, 1));
    let r = hb(&h, 1, beat("A", -3, None)).await;
    assert_eq!(r.error_code, ResponseError::InvalidRequest.code());
}

#[tokio::test(start_paused = true)]
async fn a_member_that_never_revokes_is_fenced_after_its_rebalance_timeout() {
    let h = group_harness(Limits::default());
    let t = create_topic(&h, "t", 6).await;
    let mut slow = join_req("A", &["t"], None);
    slow.rebalance_timeout_ms = 10_000;
    assert_eq!(hb(&h, 1, slow).await.member_epoch, 1);
    let mut b_epoch = hb(&h, 1, join_req("B", &["t"], None)).await.member_epoch;
    assert_eq!(b_epoch, 2);
    let all: Vec<i32> = (0..6).collect();
    let mut a_error = 0;
    let mut b_parts = None;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_secs(3)).await;
        if a_error == 0 {
            // A keeps heartbeating but keeps every partition.
            a_error = hb(&h, 1, beat("A", 1, Some((t, &all)))).await.error_code;
        }
        let b = hb(&h, 1, beat("B", b_epoch, None)).await;
        assert_eq!(b.error_code, 0);
        b_epoch = b.member_epoch;
        if let Some(p) = parts(&b, t).filter(|p| !p.is_empty()) {
            b_parts = Some((b.member_epoch, p));
        }
    }
    assert_eq!(a_error, ResponseError::UnknownMemberId.code());
    assert_eq!(b_parts, Some((3, (0..6).collect())));
}

#[tokio::test(start_paused = true)]
async fn a_regex_subscription_follows_the_topics_that_match_as_they_come_and_go() {
    let h = group_harness(Limits::default());
    let a1 = create_topic(&h, "orders-a", 2).await;
    create_topic(&h, "payments", 1).await;
    let mut join = join_req("A", &[], None);
    join.subscribed_topic_names = None;
    // Whole names only, as RE2/J's matches(): "orders" alone matches nothing.
    join.subscribed_topic_regex = Some(str_bytes("orders-.*|orders"));
    let r = hb(&h, 1, join).await;
    assert_eq!((r.error_code, r.member_epoch), (0, 1));
    assert_eq!(parts(&r, a1), set(0..2));
    let only: Vec<_> = r
        .assignment
        .as_ref()
        .unwrap()
        .topic_partitions
        .iter()
        .map(|t| t.topic_id)
        .collect();
    assert_eq!(only, vec![a1], "payments does not match");
    let d = describe(&h, 1).await;
    assert_eq!(
        d.members[0].subscribed_topic_regex.as_deref(),
        Some("orders-.*|orders")
    );

    // A topic created later that matches joins the assignment at the next heartbeat.
    let b1 = create_topic(&h, "orders-b", 1).await;
    let r = hb(&h, 1, beat("A", 1, Some((a1, &[0, 1])))).await;
    assert_eq!(r.member_epoch, 2);
    assert_eq!((parts(&r, a1), parts(&r, b1)), (set(0..2), set(0..1)));

    // A second member subscribing by name to one of them shares it.
    let b = hb(&h, 1, join_req("B", &["orders-a"], None)).await;
    assert_eq!(b.error_code, 0);
    let d = describe(&h, 1).await;
    assert_eq!(d.members.len(), 2);

    // Dropping the regex (an empty one) leaves A with its names: none.
    let mut clear = beat("A", r.member_epoch, None);
    clear.subscribed_topic_regex = Some(str_bytes(""));
    let r = hb(&h, 1, clear).await;
    assert_eq!(r.error_code, 0);
    let d = describe(&h, 1).await;
    let a = d
        .members
        .iter()
        .find(|m| m.member_id.as_str() == "A")
        .unwrap();
    assert_eq!(a.subscribed_topic_regex, None);
    assert!(a.target_assignment.topic_partitions.is_empty());
}

#[tokio::test(start_paused = true)]
async fn members_carry_on_at_their_epochs_after_a_restart() {
    let mut h = group_harness(Limits::default());
    let (t, b_id) = two_members_converge(&h).await;
    // An offset commit waits for its write, which is queued after the group's rows.
    let mut c = OffsetCommitRequest::default();
    c.group_id = GroupId(str_bytes(CG));
    c.generation_id_or_member_epoch = 2;
    c.member_id = str_bytes("A");
    let mut p = offset_commit_request::OffsetCommitRequestPartition::default();
    p.partition_index = 0;
    p.committed_offset = 1;
    let mut ct = offset_commit_request::OffsetCommitRequestTopic::default();
    ct.name = topic_name("t");
    ct.partitions = vec![p];
    c.topics = vec![ct];
    match h.call(9, c).await {
        Some(ResponseKind::OffsetCommit(r)) => assert_eq!(r.topics[0].partitions[0].error_code, 0),
        other => panic!("{other:?}"),
    }
    h.restart_coordinator(Limits::default());
    let d = describe(&h, 1).await;
    assert_eq!((d.group_state.as_str(), d.group_epoch), ("Stable", 2));
    assert_eq!(d.members.len(), 2);
    let a = hb(&h, 1, beat("A", 2, Some((t, &[0, 1, 2])))).await;
    assert_eq!((a.error_code, a.member_epoch, a.assignment), (0, 2, None));
    let b = hb(&h, 1, beat(&b_id, 2, Some((t, &[3, 4, 5])))).await;
    assert_eq!((b.error_code, b.member_epoch, b.assignment), (0, 2, None));
    // A member that does not come back expires as before; the other gets everything.
    tokio::time::sleep(Duration::from_millis(30_000)).await;
    let a = hb(&h, 1, beat("A", 2, Some((t, &[0, 1, 2])))).await;
    assert_eq!(a.error_code, 0);
    tokio::time::sleep(Duration::from_millis(30_000)).await;
    let a = hb(&h, 1, beat("A", a.member_epoch, Some((t, &[0, 1, 2])))).await;
    assert_eq!((a.error_code, parts(&a, t)), (0, set(0..6)));
}
