//! DescribeTopicPartitions (v0): Metadata's topic and partition view for named topics (all when
//! none are named), sorted by name and paged by `response_partition_limit` with a cursor.
//!
//! Owns no state: reads the registry; never creates topics. A page holds at least one partition
//! and at most the limit (capped at Kafka's default of 2000); `next_cursor` names the first
//! partition left out.

use kafka_protocol::messages::describe_topic_partitions_response::{
    Cursor, DescribeTopicPartitionsResponsePartition, DescribeTopicPartitionsResponseTopic,
};
use kafka_protocol::messages::{
    BrokerId, DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse, ResponseKind,
};
use kafka_protocol::ResponseError;

use super::acl_common::operations;
use crate::acl::ResourceType;
use super::{ready, topic_name, Call, Reply};
use crate::error::KafkaError;
use crate::log::Topic;

/// Kafka's `max.request.partition.size.limit` default.
const MAX_PARTITIONS_PER_PAGE: i32 = 2000;

pub(super) async fn handle(c: &Call<'_>, req: DescribeTopicPartitionsRequest) -> Reply {
    let ctx = c.ctx;
    let node = BrokerId(ctx.config.node_id);
    let mut names: Vec<String> = if req.topics.is_empty() {
        ctx.registry.all().iter().map(|t| t.name.clone()).collect()
    } else {
        req.topics.iter().map(|t| t.name.0.to_string()).collect()
    };
    names.sort();
    names.dedup();
    let (start_topic, mut start_partition) = match &req.cursor {
        Some(c) => (Some(c.topic_name.0.to_string()), c.partition_index.max(0)),
        None => (None, 0),
    };
    let limit = if req.response_partition_limit > 0 {
        req.response_partition_limit.min(MAX_PARTITIONS_PER_PAGE)
    } else {
        MAX_PARTITIONS_PER_PAGE
    };
    let mut left = limit;
    let mut resp = DescribeTopicPartitionsResponse::default();
    for name in names {
        if start_topic.as_ref().is_some_and(|s| name < *s) {
            continue;
        }
        if start_topic.as_ref() != Some(&name) {
            start_partition = 0;
        }
        let Some(topic) = ctx.registry.get(&name) else {
            let mut out = DescribeTopicPartitionsResponseTopic::default();
            out.error_code = ResponseError::UnknownTopicOrPartition.code();
            out.name = Some(topic_name(&name));
            resp.topics.push(out);
            continue;
        };
        let count = i32::try_from(topic.partitions.len()).unwrap_or(i32::MAX);
        if left == 0 {
            resp.next_cursor = Some(cursor(&name, start_partition));
            break;
        }
        let end = count.min(start_partition.saturating_add(left));
        resp.topics
            .push(describe(&topic, node, start_partition..end, operations(c, ResourceType::Topic, &topic.name)));
        left -= (end - start_partition).max(0);
        if end < count {
            resp.next_cursor = Some(cursor(&name, end));
            break;
        }
    }
    ready(ResponseKind::DescribeTopicPartitions(resp))
}

fn cursor(name: &str, partition: i32) -> Cursor {
    let mut c = Cursor::default();
    c.topic_name = topic_name(name);
    c.partition_index = partition;
    c
}

fn describe(
    t: &Topic,
    node: BrokerId,
    partitions: std::ops::Range<i32>,
    operations: i32,
) -> DescribeTopicPartitionsResponseTopic {
    let mut out = DescribeTopicPartitionsResponseTopic::default();
    out.name = Some(topic_name(&t.name));
    out.topic_id = t.id;
    out.is_internal = false;
    out.topic_authorized_operations = operations;
    out.partitions = partitions
        .map(|i| {
            let mut p = DescribeTopicPartitionsResponsePartition::default();
            p.partition_index = i;
            p.leader_id = node;
            p.leader_epoch = 0;
            p.replica_nodes = vec![node];
            p.isr_nodes = vec![node];
            p.eligible_leader_replicas = Some(Vec::new());
            p.last_known_elr = Some(Vec::new());
            p.offline_replicas = Vec::new();
            p
        })
        .collect();
    out
}

pub(super) fn refuse(
    _version: i16,
    req: DescribeTopicPartitionsRequest,
    e: &KafkaError,
) -> DescribeTopicPartitionsResponse {
    let mut resp = DescribeTopicPartitionsResponse::default();
    resp.topics = req
        .topics
        .into_iter()
        .map(|t| {
            let mut out = DescribeTopicPartitionsResponseTopic::default();
            out.error_code = e.code();
            out.name = Some(t.name);
            out
        })
        .collect();
    resp
}
