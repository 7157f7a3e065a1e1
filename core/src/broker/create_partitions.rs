//! CreatePartitions (v0-3): raise a topic's partition count. Assignments may only name this
//! node; names that appear twice in one request are refused.
//!
//! Owns no state; the writer checks existence and that the new count is larger.

use kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kafka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use kafka_protocol::messages::{CreatePartitionsRequest, CreatePartitionsResponse, ResponseKind};
use kafka_protocol::ResponseError;
use tokio::sync::oneshot;

use super::{message, Call, Ctx, Reply};
use crate::error::{code_of, KafkaError, KafkaResult};
use crate::writer::Command;

pub(super) async fn handle(c: &Call<'_>, req: CreatePartitionsRequest) -> Reply {
    let ctx = c.ctx.clone();
    Box::pin(async move { Some(ResponseKind::CreatePartitions(create(&ctx, req).await)) })
}

fn check(ctx: &Ctx, t: &CreatePartitionsTopic, duplicate: bool) -> KafkaResult<()> {
    if duplicate {
        return Err(KafkaError::with_message(
            ResponseError::InvalidRequest,
            "topic appears more than once in the request",
        ));
    }
    let node = ctx.config.node_id;
    let bad = t
        .assignments
        .iter()
        .flatten()
        .any(|a| a.broker_ids.len() != 1 || a.broker_ids[0].0 != node);
    if bad {
        return Err(KafkaError::with_message(
            ResponseError::InvalidReplicaAssignment,
            format!("every partition must be assigned to node {node} only"),
        ));
    }
    Ok(())
}

async fn create(ctx: &Ctx, req: CreatePartitionsRequest) -> CreatePartitionsResponse {
    let names: Vec<&str> = req.topics.iter().map(|t| t.name.0.as_str()).collect();
    let checked: Vec<KafkaResult<()>> = req
        .topics
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let dup = names
                .iter()
                .enumerate()
                .any(|(j, n)| j != i && *n == names[i]);
            check(ctx, t, dup)
        })
        .collect();
    let wanted: Vec<(String, i32)> = req
        .topics
        .iter()
        .zip(&checked)
        .filter(|(_, c)| c.is_ok())
        .map(|(t, _)| (t.name.0.to_string(), t.count))
        .collect();
    let results = if wanted.is_empty() {
        Vec::new()
    } else {
        let (reply, rx) = oneshot::channel();
        let cmd = Command::CreatePartitions {
            topics: wanted,
            validate_only: req.validate_only,
            reply,
        };
        match ctx.bridge.send(cmd).await {
            Ok(()) => rx.await.unwrap_or_default(),
            Err(_) => Vec::new(),
        }
    };
    let mut results = results.into_iter();
    let outcomes = checked.into_iter().map(|c| match c {
        Err(e) => Err(e),
        Ok(()) => results.next().map_or_else(
            || Err(KafkaError::with_message(ResponseError::KafkaStorageError, "the writer is not running")),
            |r| r.map(|_| ()),
        ),
    });
    response(&req.topics, outcomes.collect())
}

fn response(topics: &[CreatePartitionsTopic], outcomes: Vec<KafkaResult<()>>) -> CreatePartitionsResponse {
    let mut resp = CreatePartitionsResponse::default();
    for (t, outcome) in topics.iter().zip(outcomes) {
        let mut r = CreatePartitionsTopicResult::default();
        r.name = t.name.clone();
        r.error_code = code_of(&outcome);
        r.error_message = outcome.err().as_ref().and_then(message);
        resp.results.push(r);
    }
    resp
}

pub(super) fn refuse(
    _version: i16,
    req: CreatePartitionsRequest,
    e: &KafkaError,
) -> CreatePartitionsResponse {
    response(&req.topics, vec![Err(e.clone()); req.topics.len()])
}
