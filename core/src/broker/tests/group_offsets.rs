//! Committed offsets, durability across a coordinator rebuilt from the store, the admin APIs,
//! and hostile group input.

use std::time::Duration;

use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_delete_request::{
    OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopic,
};
use kafka_protocol::messages::*;
use kafka_protocol::ResponseError;

use super::classic_groups::{
    describe, heartbeat, join, join_req, new_id, stable_pair, subscription, sync, G,
};
use super::testkit::{group_harness, Harness};
use crate::broker::{str_bytes, topic_name};
use crate::group::Limits;

pub(super) async fn create_topic(h: &Harness, name: &str, partitions: i32) {
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
}

pub(super) async fn commit(
    h: &Harness,
    v: i16,
    generation: i32,
    member: &str,
    parts: &[(&str, i32, i64)],
) -> Vec<i16> {
    commit_to(h, G, v, generation, member, parts).await
}

pub(super) async fn commit_to(
    h: &Harness,
    group: &str,
    v: i16,
    generation: i32,
    member: &str,
    parts: &[(&str, i32, i64)],
) -> Vec<i16> {
    let mut r = OffsetCommitRequest::default();
    r.group_id = GroupId(str_bytes(group));
    r.generation_id_or_member_epoch = generation;
    r.member_id = str_bytes(member);
    r.topics = parts
        .iter()
        .map(|(t, p, o)| {
            let mut x = OffsetCommitRequestPartition::default();
            x.partition_index = *p;
            x.committed_offset = *o;
            x.committed_metadata = Some(str_bytes("m"));
            let mut topic = OffsetCommitRequestTopic::default();
            topic.name = topic_name(t);
            topic.partitions = vec![x];
            topic
        })
        .collect();
    match h.call(v, r).await {
        Some(ResponseKind::OffsetCommit(r)) => r
            .topics
            .iter()
            .flat_map(|t| t.partitions.iter().map(|p| p.error_code))
            .collect(),
        other => panic!("{other:?}"),
    }
}

/// (topic, partition, offset) from OffsetFetch v`v`, for `topics` or all when `None`.
pub(super) async fn fetch(
    h: &Harness,
    v: i16,
    topics: Option<&[(&str, i32)]>,
) -> Vec<(String, i32, i64)> {
    let named = |t: &(&str, i32)| (topic_name(t.0), vec![t.1]);
    let mut r = OffsetFetchRequest::default();
    if v <= 7 {
        r.group_id = GroupId(str_bytes(G));
        r.topics = topics.map(|ts| {
            ts.iter()
                .map(|t| {
                    let (name, parts) = named(t);
                    let mut x = OffsetFetchRequestTopic::default();
                    x.name = name;
                    x.partition_indexes = parts;
                    x
                })
                .collect()
        });
    } else {
        let mut g = OffsetFetchRequestGroup::default();
        g.group_id = GroupId(str_bytes(G));
        g.topics = topics.map(|ts| {
            ts.iter()
                .map(|t| {
                    let (name, parts) = named(t);
                    let mut x = offset_fetch_request::OffsetFetchRequestTopics::default();
                    x.name = name;
                    x.partition_indexes = parts;
                    x
                })
                .collect()
        });
        r.groups = vec![g];
    }
    match h.call(v, r).await {
        Some(ResponseKind::OffsetFetch(r)) if v <= 7 => r
            .topics
            .iter()
            .flat_map(|t| {
                t.partitions
                    .iter()
                    .map(|p| (t.name.to_string(), p.partition_index, p.committed_offset))
            })
            .collect(),
        Some(ResponseKind::OffsetFetch(r)) => r.groups[0]
            .topics
            .iter()
            .flat_map(|t| {
                t.partitions
                    .iter()
                    .map(|p| (t.name.to_string(), p.partition_index, p.committed_offset))
            })
            .collect(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn commits_are_fenced_by_generation_and_membership_and_fetched_back() {
    let h = group_harness(Limits::default());
    create_topic(&h, "t", 2).await;
    let (l, f, generation) = stable_pair(&h, G).await;
    let illegal = ResponseError::IllegalGeneration.code();
    let unknown = ResponseError::UnknownMemberId.code();
    assert_eq!(
        commit(&h, 8, generation + 1, &l, &[("t", 0, 5)]).await,
        vec![illegal]
    );
    assert_eq!(
        commit(&h, 8, generation, "x", &[("t", 0, 5)]).await,
        vec![unknown]
    );
    // A commit from outside the group protocol while the group has members.
    assert_eq!(commit(&h, 8, -1, "", &[("t", 0, 5)]).await, vec![unknown]);
    let got = commit(
        &h,
        8,
        generation,
        &l,
        &[("t", 0, 5), ("t", 1, 7), ("t", 9, 1), ("nope", 0, 1)],
    )
    .await;
    let utp = ResponseError::UnknownTopicOrPartition.code();
    assert_eq!(got, vec![0, 0, utp, utp]);
    assert_eq!(commit(&h, 2, generation, &f, &[("t", 1, 8)]).await, vec![0]);
    for v in 1..=9 {
        assert_eq!(
            fetch(&h, v, Some(&[("t", 0), ("t", 1), ("t", 5), ("nope", 0)])).await,
            vec![
                ("t".into(), 0, 5),
                ("t".into(), 1, 8),
                ("t".into(), 5, -1),
                ("nope".into(), 0, -1)
            ],
            "v{v}"
        );
        assert_eq!(
            fetch(&h, v, None).await,
            vec![("t".into(), 0, 5), ("t".into(), 1, 8)],
            "v{v}"
        );
    }
    // A member joining puts the group in PreparingRebalance: the revoking commit still counts.
    let c = new_id(&h, G).await;
    let pending = join(&h, 5, join_req(G, &c, None, subscription(&["t"])));
    let (r, codes) = tokio::join!(pending, async {
        let codes = commit(&h, 8, generation, &l, &[("t", 0, 6)]).await;
        let _ = heartbeat(&h, G, generation, &f).await;
        let rl = join(&h, 5, join_req(G, &l, None, subscription(&["t"])));
        let rf = join(&h, 5, join_req(G, &f, None, subscription(&["t"])));
        let (rl, _) = tokio::join!(rl, rf);
        // CompletingRebalance: commits wait for the new generation's assignment.
        let during = commit(&h, 8, rl.generation_id, &l, &[("t", 0, 7)]).await;
        (codes, during)
    });
    assert_eq!(r.error_code, 0);
    assert_eq!(
        codes,
        (vec![0], vec![ResponseError::RebalanceInProgress.code()])
    );
    assert_eq!(
        fetch(&h, 9, Some(&[("t", 0)])).await,
        vec![("t".into(), 0, 6)]
    );
}

#[tokio::test(start_paused = true)]
async fn group_and_offsets_survive_a_coordinator_rebuilt_from_the_store() {
    let mut h = group_harness(Limits::default());
    create_topic(&h, "t", 1).await;
    let (l, f, generation) = stable_pair(&h, G).await;
    assert_eq!(
        commit(&h, 8, generation, &l, &[("t", 0, 42)]).await,
        vec![0]
    );
    let stored = h.committed();
    assert_eq!(stored.offsets.len(), 1);
    assert_eq!(stored.offsets[0].committed_offset, 42);
    assert_eq!(stored.groups[0].members.len(), 2);
    let before = describe(&h, 5, G).await;
    h.restart_coordinator(Limits::default());
    assert_eq!(fetch(&h, 8, None).await, vec![("t".into(), 0, 42)]);
    assert_eq!(describe(&h, 5, G).await, before);
    // The members resume with their generation, no rebalance.
    assert_eq!(heartbeat(&h, G, generation, &l).await, 0);
    assert_eq!(heartbeat(&h, G, generation, &f).await, 0);
    let s = sync(&h, 5, G, generation, &f, &[]).await;
    assert_eq!((s.error_code, &s.assignment[..]), (0, &b"F"[..]));
    // Nobody heartbeats any more: both sessions run out and the group is left Empty.
    tokio::time::sleep(Duration::from_secs(40)).await;
    assert_eq!(describe(&h, 5, G).await.group_state.as_str(), "Empty");
    assert_eq!(fetch(&h, 8, None).await, vec![("t".into(), 0, 42)]);
}

#[tokio::test(start_paused = true)]
async fn delete_list_and_offset_delete_respect_members_and_subscriptions() {
    let h = group_harness(Limits::default());
    create_topic(&h, "t", 1).await;
    create_topic(&h, "other", 1).await;
    let (l, _f, generation) = stable_pair(&h, G).await;
    assert_eq!(
        commit(&h, 8, generation, &l, &[("t", 0, 1), ("other", 0, 2)]).await,
        vec![0, 0]
    );
    let mut od = OffsetDeleteRequest::default();
    od.group_id = GroupId(str_bytes(G));
    od.topics = ["t", "other"]
        .iter()
        .map(|n| {
            let mut t = OffsetDeleteRequestTopic::default();
            t.name = topic_name(n);
            t.partitions = vec![OffsetDeleteRequestPartition::default()];
            t
        })
        .collect();
    match h.call(0, od.clone()).await {
        Some(ResponseKind::OffsetDelete(r)) => {
            let codes: Vec<i16> = r
                .topics
                .iter()
                .map(|t| t.partitions[0].error_code)
                .collect();
            assert_eq!(codes, vec![ResponseError::GroupSubscribedToTopic.code(), 0]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fetch(&h, 8, None).await, vec![("t".into(), 0, 1)]);
    let mut list = ListGroupsRequest::default();
    list.states_filter = vec![str_bytes("stable")];
    match h.call(4, list).await {
        Some(ResponseKind::ListGroups(r)) => {
            assert_eq!(r.groups.len(), 1);
            assert_eq!(r.groups[0].protocol_type.as_str(), "consumer");
        }
        other => panic!("{other:?}"),
    }
    let del = |names: &[&str]| {
        let mut r = DeleteGroupsRequest::default();
        r.groups_names = names.iter().map(|n| GroupId(str_bytes(n))).collect();
        r
    };
    match h.call(2, del(&[G, "missing"])).await {
        Some(ResponseKind::DeleteGroups(r)) => {
            let codes: Vec<i16> = r.results.iter().map(|x| x.error_code).collect();
            assert_eq!(
                codes,
                vec![
                    ResponseError::NonEmptyGroup.code(),
                    ResponseError::GroupIdNotFound.code()
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    // Once every session ran out, the group can go, with its offsets.
    tokio::time::sleep(Duration::from_secs(40)).await;
    match h.call(0, del(&[G])).await {
        Some(ResponseKind::DeleteGroups(r)) => assert_eq!(r.results[0].error_code, 0),
        other => panic!("{other:?}"),
    }
    assert_eq!(describe(&h, 0, G).await.group_state.as_str(), "Dead");
    assert!(fetch(&h, 8, None).await.is_empty());
    let stored = h.committed();
    assert!(stored.groups.is_empty() && stored.offsets.is_empty());
    match h.call(0, ListGroupsRequest::default()).await {
        Some(ResponseKind::ListGroups(r)) => assert!(r.groups.is_empty()),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn find_coordinator_names_this_broker_at_every_version() {
    let h = group_harness(Limits::default());
    for v in 0..=4i16 {
        let mut r = FindCoordinatorRequest::default();
        if v >= 4 {
            r.coordinator_keys = vec![str_bytes("a"), str_bytes("b")];
        } else {
            r.key = str_bytes("a");
        }
        match h.call(v, r).await {
            Some(ResponseKind::FindCoordinator(r)) if v >= 4 => {
                assert_eq!(r.coordinators.len(), 2);
                assert_eq!(r.coordinators[1].port, 9092);
            }
            Some(ResponseKind::FindCoordinator(r)) => {
                assert_eq!(
                    (r.error_code, r.host.as_str(), r.port),
                    (0, "127.0.0.1", 9092)
                )
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn hostile_session_timeouts_and_member_and_group_caps_are_refused() {
    let limits = Limits {
        max_group_size: 3,
        max_groups: 2,
        ..Limits::default()
    };
    let h = group_harness(limits);
    for timeout in [-1, 0, 5_999, 1_800_001, i32::MAX, i32::MIN] {
        let mut r = join_req(G, "", None, subscription(&["t"]));
        r.session_timeout_ms = timeout;
        let r = join(&h, 5, r).await;
        assert_eq!(
            r.error_code,
            ResponseError::InvalidSessionTimeout.code(),
            "{timeout}"
        );
    }
    for _ in 0..3 {
        new_id(&h, G).await;
    }
    let r = join(&h, 5, join_req(G, "", None, subscription(&["t"]))).await;
    assert_eq!(r.error_code, ResponseError::GroupMaxSizeReached.code());
    new_id(&h, "second").await;
    let r = join(&h, 5, join_req("third", "", None, subscription(&["t"]))).await;
    assert_eq!(r.error_code, ResponseError::GroupMaxSizeReached.code());
    // No common protocol, or another protocol type.
    let id = new_id(&h, "second").await;
    let r = join(&h, 5, join_req("second", &id, None, subscription(&["t"]))).await;
    assert_eq!(r.error_code, 0);
    let mut other = join_req("second", "", None, subscription(&["t"]));
    other.protocols[0].name = str_bytes("roundrobin");
    let r = join(&h, 5, other).await;
    assert_eq!(
        r.error_code,
        ResponseError::InconsistentGroupProtocol.code()
    );
    let mut other = join_req("second", "", None, subscription(&["t"]));
    other.protocol_type = str_bytes("connect");
    let r = join(&h, 5, other).await;
    assert_eq!(
        r.error_code,
        ResponseError::InconsistentGroupProtocol.code()
    );
}

#[tokio::test]
async fn offsets_of_groups_without_members_expire_and_so_do_the_groups_they_made() {
    let limits = Limits {
        offsets_retention_ms: 0,
        offsets_retention_check_interval: Duration::from_millis(20),
        ..Limits::default()
    };
    let h = group_harness(limits);
    create_topic(&h, "t", 2).await;
    // An outside commit makes a group that exists only through its offset.
    let mut r = OffsetCommitRequest::default();
    r.group_id = GroupId(str_bytes("outside"));
    r.generation_id_or_member_epoch = -1;
    let mut x = OffsetCommitRequestPartition::default();
    x.partition_index = 0;
    x.committed_offset = 5;
    let mut topic = OffsetCommitRequestTopic::default();
    topic.name = topic_name("t");
    topic.partitions = vec![x];
    r.topics = vec![topic];
    assert!(
        matches!(h.call(8, r).await, Some(ResponseKind::OffsetCommit(r)) if r.topics[0].partitions[0].error_code == 0)
    );
    // A group with members keeps its offsets.
    let (l, _f, generation) = stable_pair(&h, G).await;
    assert_eq!(commit(&h, 8, generation, &l, &[("t", 1, 9)]).await, vec![0]);

    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let stored = h.committed();
        let outside_gone = !stored.offsets.iter().any(|o| o.group_id == "outside")
            && !stored.groups.iter().any(|g| g.group_id == "outside");
        if outside_gone {
            assert!(stored
                .offsets
                .iter()
                .any(|o| o.group_id == G && o.committed_offset == 9));
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never expired: {stored:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let listed = h.ctx.groups.list();
    assert!(
        !listed.iter().any(|g| g.group_id == "outside"),
        "gone from memory too"
    );
    let kept = h
        .ctx
        .groups
        .fetch_offsets(G, Some(vec![("t".into(), vec![1])]), false);
    assert_eq!(kept[0].1[0].offset, 9);
}

#[tokio::test]
async fn a_negative_generation_commits_to_a_group_without_members_whatever_its_member_id() {
    // librdkafka under group.protocol=consumer makes its member id itself and sends it with the
    // commits of a consumer that only assign()s (epoch -1): Kafka takes them while the group
    // has no members, as it does for an empty member id.
    let h = group_harness(Limits::default());
    create_topic(&h, "t", 1).await;
    let made_up = "5SCJMvf9QUGVelYl54w2Iw";
    assert_eq!(
        commit_to(&h, "simple", 9, -1, made_up, &[("t", 0, 3)]).await,
        vec![0],
        "an unknown group becomes a simple group"
    );
    assert_eq!(
        commit_to(&h, "simple", 9, -1, made_up, &[("t", 0, 4), ("nope", 0, 1)]).await,
        vec![0, ResponseError::UnknownTopicOrPartition.code()],
        "an empty group takes it again"
    );
    // A group with members still fences an outsider, whatever id it gives.
    let (_, _, generation) = stable_pair(&h, G).await;
    assert_eq!(
        commit(&h, 9, -1, made_up, &[("t", 0, 5)]).await,
        vec![ResponseError::UnknownMemberId.code()]
    );
    assert!(generation > 0);
}
