//! ConsumerGroupHeartbeat (v0-1): the consumer protocol of KIP-848 (join, heartbeat, reconcile,
//! leave), answered at once from the coordinator's memory.
//!
//! Owns no state. v0 lets the broker pick the member id; v1 requires the client's own.
//! A subscription may name topics or give a regex (v1), which the coordinator resolves against
//! the topics there are and re-resolves as they come and go.

use kafka_protocol::messages::consumer_group_heartbeat_response::{Assignment, TopicPartitions};
use kafka_protocol::messages::{
    ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse, ResponseKind,
};

use super::{message, ready, str_bytes, Call, Reply};
use crate::error::{code_or_none, KafkaError};
use crate::group::{ConsumerHeartbeat, TopicAssignment};

pub(super) async fn handle(c: &Call<'_>, req: ConsumerGroupHeartbeatRequest) -> Reply {
    let (client, version) = (c.client, c.version);
    let owned = req.topic_partitions.map(|tps| {
        let mut out = TopicAssignment::new();
        for tp in tps {
            out.entry(tp.topic_id).or_default().extend(tp.partitions);
        }
        out
    });
    let args = ConsumerHeartbeat {
        version,
        group_id: req.group_id.0.to_string(),
        member_id: req.member_id.to_string(),
        member_epoch: req.member_epoch,
        instance_id: req.instance_id.map(|s| s.to_string()),
        rack_id: req.rack_id.map(|s| s.to_string()),
        rebalance_timeout_ms: req.rebalance_timeout_ms,
        subscribed_topic_names: req
            .subscribed_topic_names
            .map(|ts| ts.into_iter().map(|t| t.0.to_string()).collect()),
        subscribed_topic_regex: req.subscribed_topic_regex.map(|s| s.to_string()),
        server_assignor: req.server_assignor.map(|s| s.to_string()),
        owned,
        client_id: client.id.clone(),
        client_host: client.host.clone(),
    };
    let r = c.ctx.groups.consumer_heartbeat(args);
    let mut resp = ConsumerGroupHeartbeatResponse::default();
    resp.error_code = code_or_none(r.error.as_ref());
    resp.error_message = r.error.as_ref().and_then(message);
    resp.member_id = r.member_id.as_deref().map(str_bytes);
    resp.member_epoch = r.member_epoch;
    resp.heartbeat_interval_ms = r.heartbeat_interval_ms;
    resp.assignment = r.assignment.map(|a| {
        let mut out = Assignment::default();
        out.topic_partitions = a
            .into_iter()
            .filter(|(_, ps)| !ps.is_empty())
            .map(|(id, ps)| {
                let mut tp = TopicPartitions::default();
                tp.topic_id = id;
                tp.partitions = ps.into_iter().collect();
                tp
            })
            .collect();
        out
    });
    ready(ResponseKind::ConsumerGroupHeartbeat(resp))
}

pub(super) fn refuse(
    _version: i16,
    _req: ConsumerGroupHeartbeatRequest,
    e: &KafkaError,
) -> ConsumerGroupHeartbeatResponse {
    let mut resp = ConsumerGroupHeartbeatResponse::default();
    resp.error_code = e.code();
    resp.error_message = message(e);
    resp.member_epoch = -1;
    resp
}
