//! ElectLeaders (v0-2): a single node already leads every partition, so no election is needed.
//!
//! Owns no state. v1+ answers ELECTION_NOT_NEEDED per partition; v0 has no such code and answers
//! success, as Kafka does. Unknown partitions get UNKNOWN_TOPIC_OR_PARTITION; a null list means
//! every partition.

use kafka_protocol::messages::elect_leaders_response::{PartitionResult, ReplicaElectionResult};
use kafka_protocol::messages::{ElectLeadersRequest, ElectLeadersResponse, ResponseKind};
use kafka_protocol::ResponseError;

use super::{message, ready, str_bytes, topic_name, Call, Reply};
use crate::error::KafkaError;

pub(super) async fn handle(c: &Call<'_>, req: ElectLeadersRequest) -> Reply {
    let (ctx, version) = (c.ctx, c.version);
    let wanted: Vec<(String, Vec<i32>)> = match &req.topic_partitions {
        None => ctx
            .registry
            .all()
            .iter()
            .map(|t| (t.name.clone(), (0..t.partitions.len() as i32).collect()))
            .collect(),
        Some(list) => list
            .iter()
            .map(|t| (t.topic.0.to_string(), t.partitions.clone()))
            .collect(),
    };
    let mut resp = ElectLeadersResponse::default();
    for (name, partitions) in wanted {
        let topic = ctx.registry.get(&name);
        let mut r = ReplicaElectionResult::default();
        r.topic = topic_name(&name);
        r.partition_result = partitions
            .into_iter()
            .map(|p| {
                let mut out = PartitionResult::default();
                out.partition_id = p;
                out.error_message = None;
                if topic.as_ref().and_then(|t| t.partition(p)).is_none() {
                    out.error_code = ResponseError::UnknownTopicOrPartition.code();
                    out.error_message = Some(str_bytes("unknown topic or partition"));
                } else if version >= 1 {
                    out.error_code = ResponseError::ElectionNotNeeded.code();
                    out.error_message = Some(str_bytes("this node is the only replica and leads"));
                }
                out
            })
            .collect();
        resp.replica_election_results.push(r);
    }
    ready(ResponseKind::ElectLeaders(resp))
}

pub(super) fn refuse(version: i16, req: ElectLeadersRequest, e: &KafkaError) -> ElectLeadersResponse {
    let mut resp = ElectLeadersResponse::default();
    if version >= 1 {
        resp.error_code = e.code();
    }
    resp.replica_election_results = req
        .topic_partitions
        .unwrap_or_default()
        .into_iter()
        .map(|t| {
            let mut r = ReplicaElectionResult::default();
            r.topic = t.topic;
            r.partition_result = t
                .partitions
                .into_iter()
                .map(|p| {
                    let mut out = PartitionResult::default();
                    out.partition_id = p;
                    out.error_code = e.code();
                    out.error_message = message(e);
                    out
                })
                .collect();
            r
        })
        .collect();
    resp
}
