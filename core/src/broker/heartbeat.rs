//! Heartbeat (v0-4): answered at once from the coordinator's memory.
//!
//! Owns no state.

use std::sync::Arc;

use kafka_protocol::messages::{HeartbeatRequest, HeartbeatResponse, ResponseKind};

use super::{ready, Ctx, Reply};

pub(super) fn handle(ctx: &Arc<Ctx>, _version: i16, req: HeartbeatRequest) -> Reply {
    let mut resp = HeartbeatResponse::default();
    resp.error_code = ctx.groups.heartbeat(
        &req.group_id.0,
        req.generation_id,
        &req.member_id,
        req.group_instance_id.as_deref(),
    );
    ready(ResponseKind::Heartbeat(resp))
}
