//! ListGroups (v0-5): every live group; v4 filters by state, v5 by type ("classic", or
//! "consumer" for a consumer-protocol group). Filters match case-insensitively, as Kafka's do.
//!
//! Owns no state.

use kafka_protocol::messages::list_groups_response::ListedGroup;
use kafka_protocol::messages::{GroupId, ListGroupsRequest, ListGroupsResponse, ResponseKind};

use super::acl_common::allowed;
use crate::acl::{Operation, ResourceType, CLUSTER_NAME};
use super::{ready, str_bytes, Call, Reply};
use crate::error::KafkaError;

pub(super) async fn handle(c: &Call<'_>, req: ListGroupsRequest) -> Reply {
    let version = c.version;
    let wanted = |filter: &[kafka_protocol::protocol::StrBytes], value: &str| {
        filter.is_empty() || filter.iter().any(|f| f.eq_ignore_ascii_case(value))
    };
    let whole = allowed(c, Operation::Describe, ResourceType::Cluster, CLUSTER_NAME);
    let mut resp = ListGroupsResponse::default();
    resp.groups = c
        .ctx
        .groups
        .list()
        .into_iter()
        .filter(|g| {
            wanted(&req.types_filter, g.group_type) && wanted(&req.states_filter, g.state_name)
        })
        // Kafka lists every group to DESCRIBE on the cluster, otherwise the ones the caller may
        // DESCRIBE.
        .filter(|g| {
            whole || allowed(c, Operation::Describe, ResourceType::Group, &g.group_id)
        })
        .map(|g| {
            let mut out = ListedGroup::default();
            out.group_id = GroupId(str_bytes(&g.group_id));
            out.protocol_type = str_bytes(&g.protocol_type);
            if version >= 4 {
                out.group_state = str_bytes(g.state_name);
            }
            if version >= 5 {
                out.group_type = str_bytes(g.group_type);
            }
            out
        })
        .collect();
    ready(ResponseKind::ListGroups(resp))
}

pub(super) fn refuse(_version: i16, _req: ListGroupsRequest, e: &KafkaError) -> ListGroupsResponse {
    let mut resp = ListGroupsResponse::default();
    resp.error_code = e.code();
    resp
}
