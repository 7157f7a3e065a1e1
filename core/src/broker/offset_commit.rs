//! OffsetCommit (v2-9): fenced by the coordinator, answered after COMMIT.
//!
//! Owns no state. Topics are named (v2-9); a group-level error lands on every partition named.

use kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use kafka_protocol::messages::{OffsetCommitRequest, OffsetCommitResponse, ResponseKind};

use super::{topic_name, Call, Reply};
use crate::error::{code_of, KafkaError};
use crate::group::{CommitArgs, PartitionCommit, TopicResults};

pub(super) async fn handle(c: &Call<'_>, req: OffsetCommitRequest) -> Reply {
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
    let done = c.ctx.groups.commit_offsets(args);
    Box::pin(async move { Some(ResponseKind::OffsetCommit(response(done.await))) })
}

fn response(results: TopicResults) -> OffsetCommitResponse {
    let mut resp = OffsetCommitResponse::default();
    resp.topics = results
        .into_iter()
        .map(|(name, parts)| {
            let mut t = OffsetCommitResponseTopic::default();
            t.name = topic_name(&name);
            t.partitions = parts
                .into_iter()
                .map(|(index, outcome)| {
                    let mut p = OffsetCommitResponsePartition::default();
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
    req: OffsetCommitRequest,
    e: &KafkaError,
) -> OffsetCommitResponse {
    response(
        req.topics
            .into_iter()
            .map(|t| {
                let parts = t.partitions.iter();
                let failed = parts.map(|p| (p.partition_index, Err(e.clone())));
                (t.name.0.to_string(), failed.collect())
            })
            .collect(),
    )
}
