//! DeleteGroups (v0-2): removes groups without members, with their offsets, after COMMIT.
//!
//! Owns no state.

use std::sync::Arc;

use kafka_protocol::messages::delete_groups_response::DeletableGroupResult;
use kafka_protocol::messages::{DeleteGroupsRequest, DeleteGroupsResponse, GroupId, ResponseKind};

use super::{str_bytes, Ctx, Reply};

pub(super) fn handle(ctx: &Arc<Ctx>, _version: i16, req: DeleteGroupsRequest) -> Reply {
    let ids = req
        .groups_names
        .into_iter()
        .map(|g| g.0.to_string())
        .collect();
    let done = ctx.groups.delete_groups(ids);
    Box::pin(async move {
        let mut resp = DeleteGroupsResponse::default();
        resp.results = done
            .await
            .into_iter()
            .map(|(id, code)| {
                let mut r = DeletableGroupResult::default();
                r.group_id = GroupId(str_bytes(&id));
                r.error_code = code;
                r
            })
            .collect();
        Some(ResponseKind::DeleteGroups(resp))
    })
}
