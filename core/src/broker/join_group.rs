//! JoinGroup (v0-9): hands the request to the coordinator and waits at its join barrier.
//!
//! Owns no state. v0 has no rebalance timeout (the session timeout stands in); v4+ new members
//! first get MEMBER_ID_REQUIRED; v5+ carry static instance ids; v9 may skip the assignment.

use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::{JoinGroupRequest, JoinGroupResponse, ResponseKind};
use kafka_protocol::ResponseError;

use super::{str_bytes, Call, Reply};
use crate::error::{code_or_none, KafkaError};
use crate::group::{JoinArgs, JoinReply};

pub(super) async fn handle(c: &Call<'_>, req: JoinGroupRequest) -> Reply {
    let (client, version) = (c.client, c.version);
    let args = JoinArgs {
        group_id: req.group_id.0.to_string(),
        member_id: req.member_id.to_string(),
        instance_id: req.group_instance_id.map(|i| i.to_string()),
        client_id: client.id.clone(),
        client_host: client.host.clone(),
        session_timeout_ms: req.session_timeout_ms,
        rebalance_timeout_ms: if version >= 1 {
            req.rebalance_timeout_ms
        } else {
            req.session_timeout_ms
        },
        protocol_type: req.protocol_type.to_string(),
        protocols: req
            .protocols
            .into_iter()
            .map(|p| (p.name.to_string(), p.metadata))
            .collect(),
        require_known_member_id: version >= 4,
        supports_skip_assignment: version >= 9,
    };
    let rx = c.ctx.groups.join(args);
    let member_id = req.member_id.to_string();
    Box::pin(async move {
        let reply = rx
            .await
            .unwrap_or_else(|_| JoinReply::error(ResponseError::RebalanceInProgress, &member_id));
        Some(ResponseKind::JoinGroup(response(version, reply)))
    })
}

fn response(version: i16, r: JoinReply) -> JoinGroupResponse {
    let mut resp = JoinGroupResponse::default();
    resp.error_code = code_or_none(r.error.as_ref());
    resp.generation_id = r.generation;
    if version >= 7 {
        resp.protocol_type = r.protocol_type.as_deref().map(str_bytes);
        resp.protocol_name = r.protocol_name.as_deref().map(str_bytes);
    } else {
        resp.protocol_name = Some(str_bytes(r.protocol_name.as_deref().unwrap_or("")));
    }
    resp.leader = str_bytes(&r.leader);
    if version >= 9 {
        resp.skip_assignment = r.skip_assignment;
    }
    resp.member_id = str_bytes(&r.member_id);
    resp.members = r
        .members
        .into_iter()
        .map(|m| {
            let mut out = JoinGroupResponseMember::default();
            out.member_id = str_bytes(&m.member_id);
            if version >= 5 {
                out.group_instance_id = m.instance_id.as_deref().map(str_bytes);
            }
            out.metadata = m.metadata;
            out
        })
        .collect();
    resp
}

pub(super) fn refuse(version: i16, req: JoinGroupRequest, e: &KafkaError) -> JoinGroupResponse {
    response(version, JoinReply::error(e.clone(), &req.member_id))
}
