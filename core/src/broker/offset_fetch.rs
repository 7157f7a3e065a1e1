//! OffsetFetch (v1-9): committed offsets from the coordinator's memory; one group (v1-7) or
//! several (v8+); null topics mean every committed partition of the group.
//!
//! Owns no state. A partition with no commit answers offset -1.

use kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
    OffsetFetchResponseTopic, OffsetFetchResponseTopics,
};
use kafka_protocol::messages::{OffsetFetchRequest, OffsetFetchResponse, ResponseKind};

use super::acl_common::allowed;
use super::{dedup_by, dedup_partitions, ready, str_bytes, topic_name, Call, Reply};
use crate::acl::{Operation, ResourceType};
use crate::error::{code_or_none, KafkaError};
use crate::group::FetchedPartition;

type Fetched = Vec<(String, Vec<FetchedPartition>)>;

pub(super) async fn handle(c: &Call<'_>, mut req: OffsetFetchRequest) -> Reply {
    let (ctx, version) = (c.ctx, c.version);
    if let Some(topics) = req.topics.as_mut() {
        dedup_partitions(topics, |t| t.name.clone(), |t| &mut t.partition_indexes, |p| *p);
    }
    req.groups = dedup_by(req.groups, |g| g.group_id.clone());
    for g in &mut req.groups {
        if let Some(topics) = g.topics.as_mut() {
            dedup_partitions(topics, |t| t.name.clone(), |t| &mut t.partition_indexes, |p| *p);
        }
    }
    let mut resp = OffsetFetchResponse::default();
    if version <= 7 {
        let topics = req.topics.map(|ts| {
            ts.into_iter()
                .map(|t| (t.name.0.to_string(), t.partition_indexes))
                .collect()
        });
        let stable = version >= 7 && req.require_stable;
        let fetched = describable(c, ctx.groups.fetch_offsets(&req.group_id.0, topics, stable));
        resp.topics = v1_topics(version, fetched);
        return ready(ResponseKind::OffsetFetch(resp));
    }
    resp.groups = req
        .groups
        .into_iter()
        .map(|g| {
            let topics = g.topics.map(|ts| {
                ts.into_iter()
                    .map(|t| (t.name.0.to_string(), t.partition_indexes))
                    .collect()
            });
            let fetched = describable(
                c,
                ctx.groups
                    .fetch_offsets(&g.group_id.0, topics, req.require_stable),
            );
            let mut out = OffsetFetchResponseGroup::default();
            out.group_id = g.group_id;
            out.topics = v8_topics(fetched);
            out
        })
        .collect();
    ready(ResponseKind::OffsetFetch(resp))
}

/// The topics the caller may DESCRIBE: a request for all of a group's offsets leaves the others
/// out, as Kafka does (named topics were checked before the handler ran).
fn describable(c: &Call<'_>, mut fetched: Fetched) -> Fetched {
    fetched.retain(|(name, _)| allowed(c, Operation::Describe, ResourceType::Topic, name));
    fetched
}

fn v1_topics(version: i16, fetched: Fetched) -> Vec<OffsetFetchResponseTopic> {
    fetched
        .into_iter()
        .map(|(name, parts)| {
            let mut t = OffsetFetchResponseTopic::default();
            t.name = topic_name(&name);
            t.partitions = parts
                .into_iter()
                .map(|f| {
                    let mut p = OffsetFetchResponsePartition::default();
                    p.partition_index = f.partition;
                    p.committed_offset = f.offset;
                    if version >= 5 {
                        p.committed_leader_epoch = f.leader_epoch;
                    }
                    p.metadata = f.metadata.as_deref().map(str_bytes);
                    p.error_code = code_or_none(f.error.as_ref());
                    p
                })
                .collect();
            t
        })
        .collect()
}

fn v8_topics(fetched: Fetched) -> Vec<OffsetFetchResponseTopics> {
    fetched
        .into_iter()
        .map(|(name, parts)| {
            let mut t = OffsetFetchResponseTopics::default();
            t.name = topic_name(&name);
            t.partitions = parts
                .into_iter()
                .map(|f| {
                    let mut p = OffsetFetchResponsePartitions::default();
                    p.partition_index = f.partition;
                    p.committed_offset = f.offset;
                    p.committed_leader_epoch = f.leader_epoch;
                    p.metadata = f.metadata.as_deref().map(str_bytes);
                    p.error_code = code_or_none(f.error.as_ref());
                    p
                })
                .collect();
            t
        })
        .collect()
}

pub(super) fn refuse(version: i16, req: OffsetFetchRequest, e: &KafkaError) -> OffsetFetchResponse {
    let mut resp = OffsetFetchResponse::default();
    if version <= 7 {
        resp.error_code = if version >= 2 { e.code() } else { 0 };
        resp.topics = req
            .topics
            .unwrap_or_default()
            .into_iter()
            .map(|t| {
                let mut out = OffsetFetchResponseTopic::default();
                out.name = t.name;
                out.partitions = t
                    .partition_indexes
                    .into_iter()
                    .map(|index| {
                        let mut p = OffsetFetchResponsePartition::default();
                        p.partition_index = index;
                        p.committed_offset = -1;
                        p.error_code = e.code();
                        p
                    })
                    .collect();
                out
            })
            .collect();
        return resp;
    }
    resp.groups = req
        .groups
        .into_iter()
        .map(|g| {
            let mut out = OffsetFetchResponseGroup::default();
            out.group_id = g.group_id;
            out.error_code = e.code();
            out.topics = g
                .topics
                .unwrap_or_default()
                .into_iter()
                .map(|t| {
                    let mut topic = OffsetFetchResponseTopics::default();
                    topic.name = t.name;
                    topic.partitions = t
                        .partition_indexes
                        .into_iter()
                        .map(|index| {
                            let mut p = OffsetFetchResponsePartitions::default();
                            p.partition_index = index;
                            p.committed_offset = -1;
                            p.error_code = e.code();
                            p
                        })
                        .collect();
                    topic
                })
                .collect();
            out
        })
        .collect();
    resp
}
