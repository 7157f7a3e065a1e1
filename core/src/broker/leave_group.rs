//! LeaveGroup (v0-5): one member (v0-2) or a batch identified by member or instance id (v3+).
//!
//! Owns no state. v0-2 carry the member's error at the top level; v3+ per member.

use std::sync::Arc;

use kafka_protocol::messages::leave_group_response::MemberResponse;
use kafka_protocol::messages::{LeaveGroupRequest, LeaveGroupResponse, ResponseKind};

use super::{ready, Ctx, Reply};

pub(super) fn handle(ctx: &Arc<Ctx>, version: i16, req: LeaveGroupRequest) -> Reply {
    let mut resp = LeaveGroupResponse::default();
    if version <= 2 {
        let leaving = [(req.member_id.to_string(), None)];
        let codes = ctx.groups.leave(&req.group_id.0, &leaving);
        resp.error_code = codes.first().copied().unwrap_or(0);
        return ready(ResponseKind::LeaveGroup(resp));
    }
    let leaving: Vec<(String, Option<String>)> = req
        .members
        .iter()
        .map(|m| {
            (
                m.member_id.to_string(),
                m.group_instance_id.as_ref().map(|i| i.to_string()),
            )
        })
        .collect();
    let codes = ctx.groups.leave(&req.group_id.0, &leaving);
    resp.members = req
        .members
        .into_iter()
        .zip(codes)
        .map(|(m, code)| {
            let mut r = MemberResponse::default();
            r.member_id = m.member_id;
            r.group_instance_id = m.group_instance_id;
            r.error_code = code;
            r
        })
        .collect();
    ready(ResponseKind::LeaveGroup(resp))
}
