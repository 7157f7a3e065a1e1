//! OffsetCommit (v2-9): fenced by the coordinator, answered after COMMIT.
//!
//! Owns no state. Topics are named (v2-9); a group-level error lands on every partition named.

use std::sync::Arc;

use kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use kafka_protocol::messages::{OffsetCommitRequest, OffsetCommitResponse, ResponseKind};

use super::{topic_name, Ctx, Reply};
use crate::group::{CommitArgs, PartitionCommit};

pub(super) fn handle(ctx: &Arc<Ctx>, _version: i16, req: OffsetCommitRequest) -> Reply {
    let args = CommitArgs {
        group_id: req.group_id.0.to_string(),
        generation: req.generation_id_or_member_epoch,
        member_id: req.member_id.to_string(),
        instance_id: req.group_instance_id.map(|i| i.to_string()),
        topics: req
            .topics
            .into_iter()
            .map(|t| {
                let parts = t
                    .partitions
                    .into_iter()
                    .map(|p| PartitionCommit {
                        partition: p.partition_index,
                        offset: p.committed_offset,
                        leader_epoch: p.committed_leader_epoch,
                        metadata: p.committed_metadata.map(|m| m.to_string()),
                    })
                    .collect();
                (t.name.0.to_string(), parts)
            })
            .collect(),
    };
    let done = ctx.groups.commit_offsets(args);
    Box::pin(async move {
        let mut resp = OffsetCommitResponse::default();
        resp.topics = done
            .await
            .into_iter()
            .map(|(name, parts)| {
                let mut t = OffsetCommitResponseTopic::default();
                t.name = topic_name(&name);
                t.partitions = parts
                    .into_iter()
                    .map(|(index, code)| {
                        let mut p = OffsetCommitResponsePartition::default();
                        p.partition_index = index;
                        p.error_code = code;
                        p
                    })
                    .collect();
                t
            })
            .collect();
        Some(ResponseKind::OffsetCommit(resp))
    })
}
