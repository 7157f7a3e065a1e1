//! DescribeLogDirs (v1-4): one log dir, "/pg_kafka", holding every partition.
//!
//! Owns no state: reads the registry. A partition's size is the bytes of its stored batches (as
//! the writer counts them; Postgres' own row and TOAST overhead is not in it). Total and usable
//! bytes are unknown (-1).

use kafka_protocol::messages::describe_log_dirs_response::{
    DescribeLogDirsPartition, DescribeLogDirsResult, DescribeLogDirsTopic,
};
use kafka_protocol::messages::{DescribeLogDirsRequest, DescribeLogDirsResponse, ResponseKind};

use super::describe_configs::LOG_DIR;
use std::collections::HashSet;

use super::{dedup_partitions, ready, str_bytes, topic_name, Call, Reply};
use crate::error::KafkaError;
use crate::log::Topic;

pub(super) async fn handle(c: &Call<'_>, mut req: DescribeLogDirsRequest) -> Reply {
    let (ctx, version) = (c.ctx, c.version);
    if let Some(wanted) = req.topics.as_mut() {
        dedup_partitions(wanted, |t| t.topic.clone(), |t| &mut t.partitions, |p| *p);
    }
    let topics: Vec<DescribeLogDirsTopic> = match &req.topics {
        None => ctx
            .registry
            .all()
            .iter()
            .map(|t| describe(t, None))
            .collect(),
        Some(wanted) => wanted
            .iter()
            .filter(|w| !w.partitions.is_empty())
            .filter_map(|w| {
                let t = ctx.registry.get(w.topic.0.as_str())?;
                Some(describe(&t, Some(&w.partitions.iter().copied().collect())))
            })
            .collect(),
    };
    let mut dir = DescribeLogDirsResult::default();
    dir.log_dir = str_bytes(LOG_DIR);
    dir.topics = topics;
    if version >= 4 {
        dir.total_bytes = -1;
        dir.usable_bytes = -1;
    }
    let mut resp = DescribeLogDirsResponse::default();
    resp.results = vec![dir];
    ready(ResponseKind::DescribeLogDirs(resp))
}

fn describe(t: &Topic, only: Option<&HashSet<i32>>) -> DescribeLogDirsTopic {
    let mut out = DescribeLogDirsTopic::default();
    out.name = topic_name(&t.name);
    out.partitions = t
        .partitions
        .iter()
        .enumerate()
        .filter_map(|(i, log)| {
            let index = i32::try_from(i).ok()?;
            if only.is_some_and(|o| !o.contains(&index)) {
                return None;
            }
            let mut p = DescribeLogDirsPartition::default();
            p.partition_index = index;
            p.partition_size = log.stored().bytes.max(0);
            p.offset_lag = 0;
            p.is_future_key = false;
            Some(p)
        })
        .collect();
    out
}

/// DescribeLogDirs has no per-partition error: a refusal is the top-level code (v3+) with no
/// directories, which is what Kafka answers a principal without DESCRIBE on the cluster.
pub(super) fn refuse(
    version: i16,
    _req: DescribeLogDirsRequest,
    e: &KafkaError,
) -> DescribeLogDirsResponse {
    let mut resp = DescribeLogDirsResponse::default();
    if version >= 3 {
        resp.error_code = e.code();
    }
    resp
}
