//! SyncGroup (v0-5): the leader's assignment in, each member's own assignment out.
//!
//! Owns no state. v5 checks the protocol type and name against the group's.

use kafka_protocol::messages::{ResponseKind, SyncGroupRequest, SyncGroupResponse};
use kafka_protocol::ResponseError;

use super::{str_bytes, Call, Reply};
use crate::error::{code_or_none, KafkaError};
use crate::group::{SyncArgs, SyncReply};

pub(super) async fn handle(c: &Call<'_>, req: SyncGroupRequest) -> Reply {
    let version = c.version;
    let args = SyncArgs {
        group_id: req.group_id.0.to_string(),
        generation: req.generation_id,
        member_id: req.member_id.to_string(),
        instance_id: req.group_instance_id.map(|i| i.to_string()),
        protocol_type: req.protocol_type.map(|p| p.to_string()),
        protocol_name: req.protocol_name.map(|p| p.to_string()),
        assignments: req
            .assignments
            .into_iter()
            .map(|a| (a.member_id.to_string(), a.assignment))
            .collect(),
    };
    let rx = c.ctx.groups.sync(args);
    Box::pin(async move {
        let r = rx
            .await
            .unwrap_or_else(|_| SyncReply::error(ResponseError::RebalanceInProgress));
        let mut resp = SyncGroupResponse::default();
        resp.error_code = code_or_none(r.error.as_ref());
        if version >= 5 {
            resp.protocol_type = r.protocol_type.as_deref().map(str_bytes);
            resp.protocol_name = r.protocol_name.as_deref().map(str_bytes);
        }
        resp.assignment = r.assignment;
        Some(ResponseKind::SyncGroup(resp))
    })
}

pub(super) fn refuse(_version: i16, _req: SyncGroupRequest, e: &KafkaError) -> SyncGroupResponse {
    let mut resp = SyncGroupResponse::default();
    resp.error_code = e.code();
    resp
}
