//! Heartbeat (v0-4): answered at once from the coordinator's memory.
//!
//! Owns no state.

use kafka_protocol::messages::{HeartbeatRequest, HeartbeatResponse, ResponseKind};

use super::{ready, Call, Reply};
use crate::error::{code_of, KafkaError};

pub(super) async fn handle(c: &Call<'_>, req: HeartbeatRequest) -> Reply {
    let mut resp = HeartbeatResponse::default();
    resp.error_code = code_of(&c.ctx.groups.heartbeat(
        &req.group_id.0,
        req.generation_id,
        &req.member_id,
        req.group_instance_id.as_deref(),
    ));
    ready(ResponseKind::Heartbeat(resp))
}

pub(super) fn refuse(_version: i16, _req: HeartbeatRequest, e: &KafkaError) -> HeartbeatResponse {
    let mut resp = HeartbeatResponse::default();
    resp.error_code = e.code();
    resp
}
