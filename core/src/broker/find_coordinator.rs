//! FindCoordinator (v0-4): this broker coordinates every group and transaction; v4 answers a
//! batch of keys.
//!
//! Owns no state.

use std::sync::Arc;

use kafka_protocol::messages::find_coordinator_response::Coordinator;
use kafka_protocol::messages::{
    BrokerId, FindCoordinatorRequest, FindCoordinatorResponse, ResponseKind,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::{ready, str_bytes, Ctx, Reply};

pub(super) fn handle(ctx: &Arc<Ctx>, version: i16, req: FindCoordinatorRequest) -> Reply {
    let c = &ctx.config;
    // 0: group, 1: transaction.
    let error = if (0..=1).contains(&req.key_type) {
        0
    } else {
        ResponseError::InvalidRequest.code()
    };
    let (node, host, port) = if error == 0 {
        (
            c.node_id,
            str_bytes(&c.advertised_host),
            i32::from(c.advertised_port),
        )
    } else {
        (-1, StrBytes::default(), -1)
    };
    let mut resp = FindCoordinatorResponse::default();
    if version >= 4 {
        resp.coordinators = req
            .coordinator_keys
            .into_iter()
            .map(|key| {
                let mut k = Coordinator::default();
                k.key = key;
                k.node_id = BrokerId(node);
                k.host = host.clone();
                k.port = port;
                k.error_code = error;
                k
            })
            .collect();
    } else {
        resp.error_code = error;
        resp.node_id = BrokerId(node);
        resp.host = host;
        resp.port = port;
    }
    ready(ResponseKind::FindCoordinator(resp))
}
