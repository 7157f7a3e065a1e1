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
    let (node, host, port) = (
        BrokerId(c.node_id),
        str_bytes(&c.advertised_host),
        i32::from(c.advertised_port),
    );
    let mut resp = FindCoordinatorResponse::default();
    if version >= 4 {
        resp.coordinators = req
            .coordinator_keys
            .into_iter()
            .map(|key| {
                let mut k = Coordinator::default();
                k.key = key;
                k.node_id = node;
                k.host = host.clone();
                k.port = port;
                k
            })
            .collect();
    } else {
        resp.node_id = node;
        resp.host = host;
        resp.port = port;
    }
    ready(ResponseKind::FindCoordinator(resp))
}

pub(super) fn refuse(
    version: i16,
    req: FindCoordinatorRequest,
    e: &KafkaError,
) -> FindCoordinatorResponse {
    let mut resp = FindCoordinatorResponse::default();
    if version >= 4 {
        resp.coordinators = req
            .coordinator_keys
            .into_iter()
            .map(|key| {
                let mut k = Coordinator::default();
                k.key = key;
                k.node_id = BrokerId(-1);
                k.port = -1;
                k.error_code = e.code();
                k.error_message = super::message(e);
                k
            })
            .collect();
    } else {
        resp.error_code = e.code();
        resp.node_id = BrokerId(-1);
        resp.port = -1;
        if version >= 1 {
            resp.error_message = super::message(e);
        }
    }
    resp
}
