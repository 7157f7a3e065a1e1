//! DescribeGroups (v0-5): state, protocol and members (metadata and assignment in Stable) of
//! each group; an unknown group is reported Dead.
//!
//! Owns no state.

use kafka_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kafka_protocol::messages::{DescribeGroupsRequest, DescribeGroupsResponse, ResponseKind};

use super::acl_common::operations;
use crate::acl::ResourceType;
use super::{dedup_by, ready, str_bytes, Call, Reply};
use crate::error::KafkaError;

pub(super) async fn handle(c: &Call<'_>, mut req: DescribeGroupsRequest) -> Reply {
    let (ctx, version) = (c.ctx, c.version);
    req.groups = dedup_by(req.groups, |g| g.clone());
    let mut resp = DescribeGroupsResponse::default();
    let include = version >= 3 && req.include_authorized_operations;
    resp.groups = req
        .groups
        .into_iter()
        .map(|id| {
            let s = ctx.groups.describe(&id.0);
            let mut g = DescribedGroup::default();
            g.group_id = id;
            g.group_state = str_bytes(s.state.name());
            g.protocol_type = str_bytes(&s.protocol_type);
            g.protocol_data = str_bytes(&s.protocol_data);
            g.members = s
                .members
                .into_iter()
                .map(|m| {
                    let mut out = DescribedGroupMember::default();
                    out.member_id = str_bytes(&m.member_id);
                    if version >= 4 {
                        out.group_instance_id = m.instance_id.as_deref().map(str_bytes);
                    }
                    out.client_id = str_bytes(&m.client_id);
                    out.client_host = str_bytes(&m.client_host);
                    out.member_metadata = m.metadata;
                    out.member_assignment = m.assignment;
                    out
                })
                .collect();
            if include {
                g.authorized_operations = operations(c, ResourceType::Group, &g.group_id);
            }
            g
        })
        .collect();
    ready(ResponseKind::DescribeGroups(resp))
}

pub(super) fn refuse(
    _version: i16,
    req: DescribeGroupsRequest,
    e: &KafkaError,
) -> DescribeGroupsResponse {
    let mut resp = DescribeGroupsResponse::default();
    resp.groups = req
        .groups
        .into_iter()
        .map(|id| {
            let mut g = DescribedGroup::default();
            g.group_id = id;
            g.error_code = e.code();
            g
        })
        .collect();
    resp
}
