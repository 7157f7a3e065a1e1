//! FindCoordinator (v0-4): this broker coordinates every group and transaction; v4 answers a
//! batch of keys.
//!
//! Owns no state.

use kafka_protocol::messages::find_coordinator_response::Coordinator;
use kafka_protocol::messages::{
    BrokerId, FindCoordinatorRequest, FindCoordinatorResponse, ResponseKind,
};
use kafka_protocol::ResponseError;

use super::{ready, str_bytes, Call, Reply};
use crate::error::KafkaError;

pub(super) async fn handle(call: &Call<'_>, req: FindCoordinatorRequest) -> Reply {
    let (c, version) = (&call.ctx.config, call.version);
    // 0: group, 1: transaction.
    if !(0..=1).contains(&req.key_type) {
        let e = KafkaError::new(ResponseError::InvalidRequest);
        return ready(ResponseKind::FindCoordinator(refuse(version, req, &e)));
    }
    let at = c.listener(call.client.listener);
    let this = Coordinator::default()
        .with_node_id(BrokerId(c.node_id))
        .with_host(str_bytes(&at.advertised_host))
        .with_port(i32::from(at.advertised_port));
    ready(ResponseKind::FindCoordinator(response(version, req, this)))
}

/// `coordinator` for every key asked (v4), or at the top level (v0-3).
fn response(
    version: i16,
    req: FindCoordinatorRequest,
    coordinator: Coordinator,
) -> FindCoordinatorResponse {
    let mut resp = FindCoordinatorResponse::default();
    if version >= 4 {
        resp.coordinators = req
            .coordinator_keys
            .into_iter()
            .map(|key| coordinator.clone().with_key(key))
            .collect();
    } else {
        resp.error_code = coordinator.error_code;
        if version >= 1 {
            resp.error_message = coordinator.error_message;
        }
        resp.node_id = coordinator.node_id;
        resp.host = coordinator.host;
        resp.port = coordinator.port;
    }
    resp
}

pub(super) fn refuse(
    version: i16,
    req: FindCoordinatorRequest,
    e: &KafkaError,
) -> FindCoordinatorResponse {
    let none = Coordinator::default()
        .with_node_id(BrokerId(-1))
        .with_port(-1)
        .with_error_code(e.code())
        .with_error_message(super::message(e));
    response(version, req, none)
}
