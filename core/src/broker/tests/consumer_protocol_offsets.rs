//! Consumer-protocol groups next to the rest of the broker: offsets committed by member epoch
//! and durable, the group-id namespace shared with classic groups, ListGroups/DescribeGroups,
//! and subscriptions to topics that do not exist (yet).

use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopics,
};
use kafka_protocol::messages::*;
use kafka_protocol::ResponseError;

use super::classic_groups::{join, join_req as classic_join_req, subscription};
use super::consumer_protocol::{beat, create_topic, describe, hb, join_req, parts, CG};
use super::testkit::group_harness;
use crate::broker::{str_bytes, topic_name};
use crate::group::Limits;

fn commit_req(epoch: i32, member: &str, partition: i32, offset: i64) -> OffsetCommitRequest {
    let mut p = OffsetCommitRequestPartition::default();
    p.partition_index = partition;
    p.committed_offset = offset;
    let mut t = OffsetCommitRequestTopic::default();
    t.name = topic_name("t");
    t.partitions = vec![p];
    let mut r = OffsetCommitRequest::default();
    r.group_id = GroupId(str_bytes(CG));
    r.generation_id_or_member_epoch = epoch;
    r.member_id = str_bytes(member);
    r.topics = vec![t];
    r
}

async fn commit(h: &super::testkit::Harness, r: OffsetCommitRequest) -> i16 {
    match h.call(9, r).await {
        Some(ResponseKind::OffsetCommit(r)) => r.topics[0].partitions[0].error_code,
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn offsets_are_committed_by_member_epoch_and_fetched_back_durably() {
    let mut h = group_harness(Limits::default());
    let t = create_topic(&h, "t", 2).await;
    let a = hb(&h, 1, join_req("A", &["t"], None)).await;
    assert_eq!((a.member_epoch, parts(&a, t)), (1, Some([0, 1].into())));
    assert_eq!(commit(&h, commit_req(1, "A", 0, 42)).await, 0);
    assert_eq!(
        commit(&h, commit_req(0, "A", 0, 7)).await,
        ResponseError::StaleMemberEpoch.code()
    );
    assert_eq!(
        commit(&h, commit_req(1, "Z", 0, 7)).await,
        ResponseError::UnknownMemberId.code()
    );
    assert_eq!(
        commit(&h, commit_req(-1, "", 0, 7)).await,
        ResponseError::UnknownMemberId.code(),
        "no commits from outside while the group has members"
    );
    let mut g = OffsetFetchRequestGroup::default();
    g.group_id = GroupId(str_bytes(CG));
    g.member_id = Some(str_bytes("A"));
    g.member_epoch = 1;
    let mut ft = OffsetFetchRequestTopics::default();
    ft.name = topic_name("t");
    ft.partition_indexes = vec![0, 1];
    g.topics = Some(vec![ft]);
    let mut f = OffsetFetchRequest::default();
    f.groups = vec![g];
    let offsets = match h.call(9, f).await {
        Some(ResponseKind::OffsetFetch(r)) => r.groups[0].topics[0]
            .partitions
            .iter()
            .map(|p| p.committed_offset)
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(offsets, vec![42, -1]);
    let stored = h.committed();
    assert!(stored
        .offsets
        .iter()
        .any(|o| o.group_id == CG && o.partition == 0 && o.committed_offset == 42));
    assert!(stored.groups.iter().any(|g| g.group_id == CG));
    // After a restart the member is still there at its epoch, and so are the offsets.
    h.restart_coordinator(Limits::default());
    let back = hb(&h, 1, beat("A", 1, None)).await;
    assert_eq!((back.error_code, back.member_epoch), (0, 1));
    assert_eq!(commit(&h, commit_req(1, "A", 1, 5)).await, 0);
}

#[tokio::test(start_paused = true)]
async fn the_group_id_namespace_is_shared_with_classic_groups() {
    let h = group_harness(Limits::default());
    create_topic(&h, "t", 1).await;
    assert_eq!(hb(&h, 1, join_req("A", &["t"], None)).await.error_code, 0);
    let classic = join(&h, 5, classic_join_req(CG, "", None, subscription(&["t"]))).await;
    assert_eq!(
        classic.error_code,
        ResponseError::InconsistentGroupProtocol.code()
    );
    let mut list = ListGroupsRequest::default();
    list.types_filter = vec![str_bytes("consumer")];
    match h.call(5, list).await {
        Some(ResponseKind::ListGroups(r)) => {
            assert_eq!(r.groups.len(), 1);
            assert_eq!(r.groups[0].group_id.0.as_str(), CG);
            assert_eq!(r.groups[0].group_type.as_str(), "consumer");
            assert_eq!(r.groups[0].group_state.as_str(), "Stable");
            assert_eq!(r.groups[0].protocol_type.as_str(), "consumer");
        }
        other => panic!("{other:?}"),
    }
    let d = super::classic_groups::describe(&h, 5, CG).await;
    assert_eq!(
        (d.group_state.as_str(), d.protocol_type.as_str()),
        ("Stable", "consumer")
    );
    assert!(d.members.is_empty());
    let mut del = DeleteGroupsRequest::default();
    del.groups_names = vec![GroupId(str_bytes(CG))];
    match h.call(2, del).await {
        Some(ResponseKind::DeleteGroups(r)) => {
            assert_eq!(r.results[0].error_code, ResponseError::NonEmptyGroup.code())
        }
        other => panic!("{other:?}"),
    }
    // A classic group with members keeps its id from the consumer protocol.
    let mut other = join_req("B", &["t"], None);
    other.group_id = GroupId(str_bytes("classic"));
    let id = super::classic_groups::new_id(&h, "classic").await;
    let joined = join(
        &h,
        5,
        classic_join_req("classic", &id, None, subscription(&["t"])),
    )
    .await;
    assert_eq!(joined.error_code, 0);
    let r = hb(&h, 1, other).await;
    assert_eq!(r.error_code, ResponseError::GroupIdNotFound.code());
    let mut d = ConsumerGroupDescribeRequest::default();
    d.group_ids = vec![GroupId(str_bytes("classic"))];
    match h.call(1, d).await {
        Some(ResponseKind::ConsumerGroupDescribe(r)) => {
            assert_eq!(
                r.groups[0].error_code,
                ResponseError::GroupIdNotFound.code()
            )
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn unknown_topics_are_ignored_until_created_and_many_are_harmless() {
    let h = group_harness(Limits::default());
    let names: Vec<String> = (0..5_000).map(|i| format!("missing-{i}")).collect();
    let mut many: Vec<&str> = names.iter().map(String::as_str).collect();
    many.push("later");
    let r = hb(&h, 1, join_req("A", &many, None)).await;
    assert_eq!((r.error_code, r.member_epoch), (0, 1));
    assert_eq!(r.assignment.map(|a| a.topic_partitions.len()), Some(0));
    let r = hb(&h, 1, beat("A", 1, None)).await;
    assert_eq!((r.member_epoch, r.assignment), (1, None));
    let t = create_topic(&h, "later", 3).await;
    let r = hb(&h, 1, beat("A", 1, None)).await;
    assert_eq!((r.member_epoch, parts(&r, t)), (2, Some([0, 1, 2].into())));
    let d = describe(&h, 1).await;
    assert_eq!(d.members[0].subscribed_topic_names.len(), 5_001);
}
