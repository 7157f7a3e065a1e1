//! ConsumerGroupDescribe (v0-1): consumer-protocol groups with their epochs, assignor and
//! members (subscriptions, current and target assignments). An id that is not a
//! consumer-protocol group gets GROUP_ID_NOT_FOUND.
//!
//! Owns no state.

use kafka_protocol::messages::consumer_group_describe_response::{
    Assignment, DescribedGroup, Member, TopicPartitions,
};
use kafka_protocol::messages::{
    ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse, ResponseKind,
};

use super::acl_common::operations;
use crate::acl::ResourceType;
use super::{dedup_by, message, ready, str_bytes, topic_name, Call, Reply};
use crate::error::{code_or_none, KafkaError};

/// `member_type` (v1+): the member speaks the consumer protocol.
const CONSUMER_MEMBER: i8 = 1;

fn assignment(parts: Vec<(uuid::Uuid, String, Vec<i32>)>) -> Assignment {
    let mut a = Assignment::default();
    a.topic_partitions = parts
        .into_iter()
        .map(|(id, name, partitions)| {
            let mut tp = TopicPartitions::default();
            tp.topic_id = id;
            tp.topic_name = topic_name(&name);
            tp.partitions = partitions;
            tp
        })
        .collect();
    a
}

pub(super) async fn handle(c: &Call<'_>, mut req: ConsumerGroupDescribeRequest) -> Reply {
    let (ctx, version) = (c.ctx, c.version);
    req.group_ids = dedup_by(req.group_ids, |g| g.clone());
    let mut resp = ConsumerGroupDescribeResponse::default();
    let include = req.include_authorized_operations;
    resp.groups = req
        .group_ids
        .into_iter()
        .map(|id| {
            let s = ctx.groups.consumer_describe(&id.0);
            let mut g = DescribedGroup::default();
            g.group_id = id;
            g.error_code = code_or_none(s.error.as_ref());
            g.group_state = str_bytes(s.state);
            g.group_epoch = s.group_epoch;
            g.assignment_epoch = s.assignment_epoch;
            g.assignor_name = str_bytes(&s.assignor);
            g.members = s
                .members
                .into_iter()
                .map(|m| {
                    let mut out = Member::default();
                    out.member_id = str_bytes(&m.member_id);
                    out.instance_id = m.instance_id.as_deref().map(str_bytes);
                    out.rack_id = m.rack_id.as_deref().map(str_bytes);
                    out.member_epoch = m.member_epoch;
                    out.client_id = str_bytes(&m.client_id);
                    out.client_host = str_bytes(&m.client_host);
                    out.subscribed_topic_names = m
                        .subscribed_topic_names
                        .iter()
                        .map(|t| topic_name(t))
                        .collect();
                    out.subscribed_topic_regex = m.subscribed_topic_regex.as_deref().map(str_bytes);
                    out.assignment = assignment(m.assignment);
                    out.target_assignment = assignment(m.target_assignment);
                    if version >= 1 {
                        out.member_type = CONSUMER_MEMBER;
                    }
                    out
                })
                .collect();
            if include {
                g.authorized_operations = operations(c, ResourceType::Group, &g.group_id);
            }
            g
        })
        .collect();
    ready(ResponseKind::ConsumerGroupDescribe(resp))
}

pub(super) fn refuse(
    _version: i16,
    req: ConsumerGroupDescribeRequest,
    e: &KafkaError,
) -> ConsumerGroupDescribeResponse {
    let mut resp = ConsumerGroupDescribeResponse::default();
    resp.groups = req
        .group_ids
        .into_iter()
        .map(|id| {
            let mut g = DescribedGroup::default();
            g.group_id = id;
            g.error_code = e.code();
            g.error_message = message(e);
            g
        })
        .collect();
    resp
}
