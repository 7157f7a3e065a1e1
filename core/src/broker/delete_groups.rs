//! DeleteGroups (v0-2): removes groups without members, with their offsets, after COMMIT.
//!
//! Owns no state.

use kafka_protocol::messages::delete_groups_response::DeletableGroupResult;
use kafka_protocol::messages::{DeleteGroupsRequest, DeleteGroupsResponse, GroupId, ResponseKind};

use super::{str_bytes, Call, Reply};
use crate::error::{code_of, KafkaError, KafkaResult};

pub(super) async fn handle(c: &Call<'_>, req: DeleteGroupsRequest) -> Reply {
    let ids = req
        .groups_names
        .into_iter()
        .map(|g| g.0.to_string())
        .collect();
    let done = c.ctx.groups.delete_groups(ids);
    Box::pin(async move {
        let mut resp = DeleteGroupsResponse::default();
        resp.results = results(done.await);
        Some(ResponseKind::DeleteGroups(resp))
    })
}

fn results(outcomes: Vec<(String, KafkaResult<()>)>) -> Vec<DeletableGroupResult> {
    outcomes
        .into_iter()
        .map(|(id, outcome)| {
            let mut r = DeletableGroupResult::default();
            r.group_id = GroupId(str_bytes(&id));
            r.error_code = code_of(&outcome);
            r
        })
        .collect()
}

pub(super) fn refuse(_version: i16, req: DeleteGroupsRequest, e: &KafkaError) -> DeleteGroupsResponse {
    let mut resp = DeleteGroupsResponse::default();
    let outcomes = req.groups_names.into_iter().map(|g| (g.0.to_string(), Err(e.clone())));
    resp.results = results(outcomes.collect());
    resp
}
