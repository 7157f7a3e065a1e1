//! CreatePartitions (v0-3): raise a topic's partition count. Assignments may only name this
//! node; names that appear twice in one request are refused.
//!
//! Owns no state; the writer checks existence and that the new count is larger.

use std::sync::Arc;

use kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kafka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use kafka_protocol::messages::{CreatePartitionsRequest, CreatePartitionsResponse, ResponseKind};
use kafka_protocol::ResponseError;
use tokio::sync::oneshot;

use super::{storage_error, str_bytes, Ctx, Reply};
use crate::writer::Command;

pub(super) fn handle(ctx: &Arc<Ctx>, _version: i16, req: CreatePartitionsRequest) -> Reply {
    let ctx = ctx.clone();
    Box::pin(async move { Some(ResponseKind::CreatePartitions(create(&ctx, req).await)) })
}

fn check(ctx: &Ctx, t: &CreatePartitionsTopic, duplicate: bool) -> Result<(), (i16, String)> {
    if duplicate {
        return Err((
            ResponseError::InvalidRequest.code(),
            "topic appears more than once in the request".into(),
        ));
    }
    let node = ctx.config.node_id;
    let bad = t
        .assignments
        .iter()
        .flatten()
        .any(|a| a.broker_ids.len() != 1 || a.broker_ids[0].0 != node);
    if bad {
        return Err((
            ResponseError::InvalidReplicaAssignment.code(),
            format!("every partition must be assigned to node {node} only"),
        ));
    }
    Ok(())
}

async fn create(ctx: &Ctx, req: CreatePartitionsRequest) -> CreatePartitionsResponse {
    let names: Vec<&str> = req.topics.iter().map(|t| t.name.0.as_str()).collect();
    let checked: Vec<Result<(), (i16, String)>> = req
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
    let mut resp = CreatePartitionsResponse::default();
    for (t, c) in req.topics.iter().zip(checked) {
        let outcome = match c {
            Err(e) => Err(e),
            Ok(()) => results
                .next()
                .map(|r| r.map(|_| ()))
                .unwrap_or_else(|| Err((storage_error(), "the writer is not running".into()))),
        };
        let mut r = CreatePartitionsTopicResult::default();
        r.name = t.name.clone();
        if let Err((code, message)) = outcome {
            r.error_code = code;
            r.error_message = Some(str_bytes(&message));
        }
        resp.results.push(r);
    }
    resp
}
