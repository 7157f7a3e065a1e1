//! DescribeCluster (v0-2): this broker as the whole cluster and its controller.
//!
//! Owns no state. Anyone may ask; the authorized operations, when asked for, are the caller's
//! on the cluster (all of them with authorization off).

use kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use kafka_protocol::messages::{
    BrokerId, DescribeClusterRequest, DescribeClusterResponse, ResponseKind,
};

use super::acl_common::operations;
use crate::acl::{ResourceType, CLUSTER_NAME};
use super::{message, ready, str_bytes, Call, Reply};
use crate::error::KafkaError;

/// What Kafka answers when authorized operations were not asked for.
pub(super) const OPERATIONS_NOT_REQUESTED: i32 = i32::MIN;

pub(super) async fn handle(c: &Call<'_>, req: DescribeClusterRequest) -> Reply {
    let (ctx, version) = (c.ctx, c.version);
    let node = BrokerId(ctx.config.node_id);
    let mut resp = DescribeClusterResponse::default();
    if version >= 1 {
        resp.endpoint_type = req.endpoint_type;
    }
    resp.cluster_id = str_bytes(&ctx.config.cluster_id);
    resp.controller_id = node;
    let mut broker = DescribeClusterBroker::default();
    broker.broker_id = node;
    let at = ctx.config.listener(c.client.listener);
    broker.host = str_bytes(&at.advertised_host);
    broker.port = i32::from(at.advertised_port);
    broker.rack = None;
    resp.brokers = vec![broker];
    resp.cluster_authorized_operations = if req.include_cluster_authorized_operations {
        operations(c, ResourceType::Cluster, CLUSTER_NAME)
    } else {
        OPERATIONS_NOT_REQUESTED
    };
    ready(ResponseKind::DescribeCluster(resp))
}

pub(super) fn refuse(
    _version: i16,
    _req: DescribeClusterRequest,
    e: &KafkaError,
) -> DescribeClusterResponse {
    let mut resp = DescribeClusterResponse::default();
    resp.error_code = e.code();
    resp.error_message = message(e);
    resp.controller_id = BrokerId(-1);
    resp.cluster_authorized_operations = OPERATIONS_NOT_REQUESTED;
    resp
}
