//! Test-only sample requests of the consumer-group APIs, one per version, with every array that
//! version has non-empty and every optional field it has set. Part of `samples` (external crates
//! only, as the fuzz test includes it by path).

use bytes::Bytes;
use kafka_protocol::messages::consumer_group_heartbeat_request::TopicPartitions;
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_delete_request::{
    OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopic, OffsetFetchRequestTopics,
};
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;

fn s(v: &'static str) -> StrBytes {
    StrBytes::from_static_str(v)
}

fn group(v: &'static str) -> GroupId {
    GroupId(s(v))
}

fn topic(v: &'static str) -> TopicName {
    TopicName(s(v))
}

pub fn find_coordinator(v: i16) -> FindCoordinatorRequest {
    let mut r = FindCoordinatorRequest::default();
    if v <= 3 {
        r = r.with_key(s("g1"));
    }
    if v >= 1 {
        r = r.with_key_type(0);
    }
    if v >= 4 {
        r = r.with_coordinator_keys(vec![s("g1"), s("g2")]);
    }
    r
}

pub fn join_group(v: i16) -> JoinGroupRequest {
    let p = |name, meta: &'static [u8]| {
        JoinGroupRequestProtocol::default()
            .with_name(s(name))
            .with_metadata(Bytes::from_static(meta))
    };
    let mut r = JoinGroupRequest::default()
        .with_group_id(group("g1"))
        .with_session_timeout_ms(10_000)
        .with_member_id(s("m-1"))
        .with_protocol_type(s("consumer"))
        .with_protocols(vec![
            p("range", b"\0\0\0\0\0\x01\0\x01a"),
            p("roundrobin", b""),
        ]);
    if v >= 1 {
        r = r.with_rebalance_timeout_ms(30_000);
    }
    if v >= 5 {
        r = r.with_group_instance_id(Some(s("instance-1")));
    }
    if v >= 8 {
        r = r.with_reason(Some(s("rejoin")));
    }
    r
}

pub fn sync_group(v: i16) -> SyncGroupRequest {
    let a = |m, bytes: &'static [u8]| {
        SyncGroupRequestAssignment::default()
            .with_member_id(s(m))
            .with_assignment(Bytes::from_static(bytes))
    };
    let mut r = SyncGroupRequest::default()
        .with_group_id(group("g1"))
        .with_generation_id(3)
        .with_member_id(s("m-1"))
        .with_assignments(vec![a("m-1", b"\0\x01"), a("m-2", b"")]);
    if v >= 3 {
        r = r.with_group_instance_id(Some(s("instance-1")));
    }
    if v >= 5 {
        r = r
            .with_protocol_type(Some(s("consumer")))
            .with_protocol_name(Some(s("range")));
    }
    r
}

pub fn heartbeat(v: i16) -> HeartbeatRequest {
    let r = HeartbeatRequest::default()
        .with_group_id(group("g1"))
        .with_generation_id(3)
        .with_member_id(s("m-1"));
    if v >= 3 {
        r.with_group_instance_id(Some(s("instance-1")))
    } else {
        r
    }
}

pub fn leave_group(v: i16) -> LeaveGroupRequest {
    let r = LeaveGroupRequest::default().with_group_id(group("g1"));
    if v <= 2 {
        return r.with_member_id(s("m-1"));
    }
    let m = |id, instance| {
        let m = MemberIdentity::default()
            .with_member_id(s(id))
            .with_group_instance_id(instance);
        if v >= 5 {
            m.with_reason(Some(s("bye")))
        } else {
            m
        }
    };
    r.with_members(vec![m("m-1", Some(s("instance-1"))), m("m-2", None)])
}

pub fn offset_commit(v: i16) -> OffsetCommitRequest {
    let part = |i: i32| {
        let p = OffsetCommitRequestPartition::default()
            .with_partition_index(i)
            .with_committed_offset(42 + i64::from(i))
            .with_committed_metadata(Some(s("meta")));
        if v >= 6 {
            p.with_committed_leader_epoch(2)
        } else {
            p
        }
    };
    let t = |name| {
        OffsetCommitRequestTopic::default()
            .with_name(topic(name))
            .with_partitions(vec![part(0), part(1)])
    };
    let mut r = OffsetCommitRequest::default()
        .with_group_id(group("g1"))
        .with_generation_id_or_member_epoch(3)
        .with_member_id(s("m-1"))
        .with_topics(vec![t("a"), t("b")]);
    if v >= 7 {
        r = r.with_group_instance_id(Some(s("instance-1")));
    }
    if v <= 4 {
        r = r.with_retention_time_ms(60_000);
    }
    r
}

pub fn offset_fetch(v: i16) -> OffsetFetchRequest {
    let mut r = OffsetFetchRequest::default();
    if v <= 7 {
        let t = |name| {
            OffsetFetchRequestTopic::default()
                .with_name(topic(name))
                .with_partition_indexes(vec![0, 1])
        };
        r = r
            .with_group_id(group("g1"))
            .with_topics(Some(vec![t("a"), t("b")]));
    } else {
        let t = |name| {
            OffsetFetchRequestTopics::default()
                .with_name(topic(name))
                .with_partition_indexes(vec![0, 1])
        };
        let g = |id, topics| {
            let g = OffsetFetchRequestGroup::default()
                .with_group_id(group(id))
                .with_topics(topics);
            if v >= 9 {
                g.with_member_id(Some(s("m-1"))).with_member_epoch(4)
            } else {
                g
            }
        };
        r = r.with_groups(vec![g("g1", Some(vec![t("a"), t("b")])), g("g2", None)]);
    }
    if v >= 7 {
        r = r.with_require_stable(true);
    }
    r
}

pub fn describe_groups(v: i16) -> DescribeGroupsRequest {
    let r = DescribeGroupsRequest::default().with_groups(vec![group("g1"), group("g2")]);
    if v >= 3 {
        r.with_include_authorized_operations(true)
    } else {
        r
    }
}

pub fn list_groups(v: i16) -> ListGroupsRequest {
    let mut r = ListGroupsRequest::default();
    if v >= 4 {
        r = r.with_states_filter(vec![s("Stable"), s("Empty")]);
    }
    if v >= 5 {
        r = r.with_types_filter(vec![s("classic"), s("consumer")]);
    }
    r
}

pub fn delete_groups(_v: i16) -> DeleteGroupsRequest {
    DeleteGroupsRequest::default().with_groups_names(vec![group("g1"), group("g2")])
}

pub fn offset_delete(_v: i16) -> OffsetDeleteRequest {
    let t = |name| {
        OffsetDeleteRequestTopic::default()
            .with_name(topic(name))
            .with_partitions(vec![
                OffsetDeleteRequestPartition::default().with_partition_index(0),
                OffsetDeleteRequestPartition::default().with_partition_index(1),
            ])
    };
    OffsetDeleteRequest::default()
        .with_group_id(group("g1"))
        .with_topics(vec![t("a"), t("b")])
}

pub fn consumer_group_heartbeat(v: i16) -> ConsumerGroupHeartbeatRequest {
    let tp = |id: u128, parts: Vec<i32>| {
        TopicPartitions::default()
            .with_topic_id(uuid::Uuid::from_u128(id))
            .with_partitions(parts)
    };
    let mut r = ConsumerGroupHeartbeatRequest::default()
        .with_group_id(group("g1"))
        .with_member_id(s("m-1"))
        .with_member_epoch(3)
        .with_instance_id(Some(s("instance-1")))
        .with_rack_id(Some(s("rack-a")))
        .with_rebalance_timeout_ms(30_000)
        .with_subscribed_topic_names(Some(vec![topic("a"), topic("b")]))
        .with_server_assignor(Some(s("uniform")))
        .with_topic_partitions(Some(vec![tp(1, vec![0, 1]), tp(2, vec![3])]));
    if v >= 1 {
        r = r.with_subscribed_topic_regex(Some(s("^a.*")));
    }
    r
}

pub fn consumer_group_describe(_v: i16) -> ConsumerGroupDescribeRequest {
    ConsumerGroupDescribeRequest::default()
        .with_group_ids(vec![group("g1"), group("g2")])
        .with_include_authorized_operations(true)
}
