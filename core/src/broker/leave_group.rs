//! LeaveGroup (v0-5): one member (v0-2) or a batch identified by member or instance id (v3+).
//!
//! Owns no state. v0-2 carry the member's error at the top level; v3+ per member.

use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::leave_group_response::MemberResponse;
use kafka_protocol::messages::{LeaveGroupRequest, LeaveGroupResponse, ResponseKind};

use super::{ready, Call, Reply};
use crate::error::{code_of, KafkaError, KafkaResult};

pub(super) async fn handle(c: &Call<'_>, req: LeaveGroupRequest) -> Reply {
    let mut resp = LeaveGroupResponse::default();
    if c.version <= 2 {
        let leaving = [(req.member_id.to_string(), None)];
        let results = c.ctx.groups.leave(&req.group_id.0, &leaving);
        resp.error_code = results.first().map_or(0, code_of);
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
    let results = c.ctx.groups.leave(&req.group_id.0, &leaving);
    resp.members = members(req.members, results);
    ready(ResponseKind::LeaveGroup(resp))
}

fn members(named: Vec<MemberIdentity>, results: Vec<KafkaResult<()>>) -> Vec<MemberResponse> {
    named
        .into_iter()
        .zip(results)
        .map(|(m, result)| {
            let mut r = MemberResponse::default();
            r.member_id = m.member_id;
            r.group_instance_id = m.group_instance_id;
            r.error_code = code_of(&result);
            r
        })
        .collect()
}

pub(super) fn refuse(_version: i16, req: LeaveGroupRequest, e: &KafkaError) -> LeaveGroupResponse {
    let mut resp = LeaveGroupResponse::default();
    resp.error_code = e.code();
    let n = req.members.len();
    resp.members = members(req.members, vec![Err(e.clone()); n]);
    resp
}
