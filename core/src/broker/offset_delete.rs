//! OffsetDelete (v0): removes committed offsets of topics the group's members do not subscribe
//! to, after COMMIT. A group-level error goes at the top level and on every partition named.
//!
//! Owns no state.

use kafka_protocol::messages::offset_delete_response::{
    OffsetDeleteResponsePartition, OffsetDeleteResponseTopic,
};
use kafka_protocol::messages::{OffsetDeleteRequest, OffsetDeleteResponse, ResponseKind};

use super::{topic_name, Call, Reply};
use crate::error::{code_of, KafkaError};
use crate::group::TopicResults;

pub(super) async fn handle(c: &Call<'_>, req: OffsetDeleteRequest) -> Reply {
    let version = c.version;
    let topics = named(&req);
    let done = c.ctx.groups.delete_offsets(&req.group_id.0, topics);
    Box::pin(async move {
        let resp = match done.await {
            Ok(results) => response(results),
            Err(e) => refuse(version, req, &e),
        };
        Some(ResponseKind::OffsetDelete(resp))
    })
}

fn named(req: &OffsetDeleteRequest) -> Vec<(String, Vec<i32>)> {
    req.topics
        .iter()
        .map(|t| {
            let parts = t.partitions.iter().map(|p| p.partition_index).collect();
            (t.name.0.to_string(), parts)
        })
        .collect()
}

fn response(results: TopicResults) -> OffsetDeleteResponse {
    let mut resp = OffsetDeleteResponse::default();
    resp.topics = results
        .into_iter()
        .map(|(name, parts)| {
            let mut t = OffsetDeleteResponseTopic::default();
            t.name = topic_name(&name);
            t.partitions = parts
                .into_iter()
                .map(|(index, outcome)| {
                    let mut p = OffsetDeleteResponsePartition::default();
                    p.partition_index = index;
                    p.error_code = code_of(&outcome);
                    p
                })
                .collect();
            t
        })
        .collect();
    resp
}

pub(super) fn refuse(
    _version: i16,
    req: OffsetDeleteRequest,
    e: &KafkaError,
) -> OffsetDeleteResponse {
    let failed = named(&req)
        .into_iter()
        .map(|(t, parts)| (t, parts.into_iter().map(|p| (p, Err(e.clone()))).collect()))
        .collect();
    let mut resp = response(failed);
    resp.error_code = e.code();
    resp
}
