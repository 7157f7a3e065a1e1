//! OffsetDelete (v0): removes committed offsets of topics the group's members do not subscribe
//! to, after COMMIT. A group-level error goes at the top level and on every partition named.
//!
//! Owns no state.

use std::sync::Arc;

use kafka_protocol::messages::offset_delete_response::{
    OffsetDeleteResponsePartition, OffsetDeleteResponseTopic,
};
use kafka_protocol::messages::{OffsetDeleteRequest, OffsetDeleteResponse, ResponseKind};

use super::{topic_name, Ctx, Reply};

pub(super) fn handle(ctx: &Arc<Ctx>, _version: i16, req: OffsetDeleteRequest) -> Reply {
    let topics: Vec<(String, Vec<i32>)> = req
        .topics
        .into_iter()
        .map(|t| {
            let parts = t
                .partitions
                .into_iter()
                .map(|p| p.partition_index)
                .collect();
            (t.name.0.to_string(), parts)
        })
        .collect();
    let named = topics.clone();
    let done = ctx.groups.delete_offsets(&req.group_id.0, topics);
    Box::pin(async move {
        let mut resp = OffsetDeleteResponse::default();
        let results = match done.await {
            Ok(r) => r,
            Err(code) => {
                resp.error_code = code;
                named
                    .into_iter()
                    .map(|(t, parts)| (t, parts.into_iter().map(|p| (p, code)).collect()))
                    .collect()
            }
        };
        resp.topics = results
            .into_iter()
            .map(|(name, parts)| {
                let mut t = OffsetDeleteResponseTopic::default();
                t.name = topic_name(&name);
                t.partitions = parts
                    .into_iter()
                    .map(|(index, code)| {
                        let mut p = OffsetDeleteResponsePartition::default();
                        p.partition_index = index;
                        p.error_code = code;
                        p
                    })
                    .collect();
                t
            })
            .collect();
        Some(ResponseKind::OffsetDelete(resp))
    })
}
