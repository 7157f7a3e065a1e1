//! CreateTopics (v2-7): a single-node broker, so replication factor 1 (or -1, the default) and
//! assignments that name only this node. Everything that passes those checks goes to the writer
//! in one command, which validates names, partition counts and existence.
//!
//! Owns no state; `validate_only` is passed through to the writer.

use std::collections::BTreeMap;

use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::create_topics_response::CreatableTopicResult;
use kafka_protocol::messages::{CreateTopicsRequest, CreateTopicsResponse, ResponseKind};
use kafka_protocol::ResponseError;
use tokio::sync::oneshot;

use super::acl_common::{denied, may_create_as, principal};
use crate::acl::{Principal, ResourceType};
use super::{message, Call, Ctx, Reply};
use crate::error::{KafkaError, KafkaResult};
use crate::writer::{AdminResult, Command, NewTopic};

pub(super) async fn handle(c: &Call<'_>, req: CreateTopicsRequest) -> Reply {
    let (ctx, version) = (c.ctx.clone(), c.version);
    let who = principal(c);
    Box::pin(async move { Some(ResponseKind::CreateTopics(create(&ctx, &who, version, req).await)) })
}

/// The topic to create, or why the request for it is refused before reaching the writer.
fn check(ctx: &Ctx, t: &CreatableTopic, duplicate: bool) -> KafkaResult<NewTopic> {
    let name = t.name.0.to_string();
    if duplicate {
        return Err(KafkaError::with_message(
            ResponseError::InvalidRequest,
            format!("topic {name:?} appears more than once in the request"),
        ));
    }
    // Any factor is taken: a topic is as durable as its Postgres (synchronous_commit, standbys),
    // not as its broker count, and tools that ask for 3 (Kafka Connect, Debezium) should run
    // unchanged. It is answered and described as what it is: one replica, on this node.
    if t.replication_factor == 0 || t.replication_factor < -1 {
        return Err(KafkaError::with_message(
            ResponseError::InvalidReplicationFactor,
            "Replication factor must be larger than 0, or -1 to use the default value.",
        ));
    }
    let partitions = if t.assignments.is_empty() {
        if t.num_partitions == -1 {
            ctx.config.default_partitions
        } else {
            t.num_partitions
        }
    } else {
        let node = ctx.config.node_id;
        if t.assignments
            .iter()
            .any(|a| a.broker_ids.len() != 1 || a.broker_ids[0].0 != node)
        {
            return Err(KafkaError::with_message(
                ResponseError::InvalidReplicaAssignment,
                format!("every partition must be assigned to node {node} only"),
            ));
        }
        i32::try_from(t.assignments.len()).unwrap_or(i32::MAX)
    };
    let configs: BTreeMap<String, String> = t
        .configs
        .iter()
        .filter_map(|c| {
            c.value
                .as_ref()
                .map(|v| (c.name.to_string(), v.to_string()))
        })
        .collect();
    Ok(NewTopic {
        name,
        partitions,
        configs,
    })
}

async fn create(ctx: &Ctx, who: &Principal, version: i16, req: CreateTopicsRequest) -> CreateTopicsResponse {
    let names: Vec<&str> = req.topics.iter().map(|t| t.name.0.as_str()).collect();
    let checked: Vec<KafkaResult<NewTopic>> = req
        .topics
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let dup = names
                .iter()
                .enumerate()
                .any(|(j, n)| j != i && *n == names[i]);
            if !may_create_as(ctx, who, &t.name) {
                return Err(denied(ResourceType::Topic));
            }
            check(ctx, t, dup)
        })
        .collect();
    let to_create: Vec<NewTopic> = checked
        .iter()
        .filter_map(|c| c.as_ref().ok().cloned())
        .collect();
    let mut created = if to_create.is_empty() {
        Vec::new()
    } else {
        send(ctx, to_create, req.validate_only).await
    }
    .into_iter();

    let outcomes = checked.into_iter().map(|c| match c {
        Err(e) => Err(e),
        Ok(_) => created.next().unwrap_or_else(|| {
            Err(KafkaError::with_message(
                ResponseError::KafkaStorageError,
                "the writer is not running",
            ))
        }),
    });
    response(version, &req, outcomes.collect())
}

fn response(version: i16, req: &CreateTopicsRequest, outcomes: Vec<AdminResult>) -> CreateTopicsResponse {
    let mut resp = CreateTopicsResponse::default();
    for (t, outcome) in req.topics.iter().zip(outcomes) {
        let mut r = CreatableTopicResult::default();
        r.name = t.name.clone();
        match outcome {
            Ok(topic) => {
                r.error_message = None;
                if version >= 7 {
                    r.topic_id = topic.id;
                }
                if version >= 5 {
                    r.num_partitions = i32::try_from(topic.partitions.len()).unwrap_or(i32::MAX);
                    r.replication_factor = 1;
                }
            }
            Err(e) => {
                r.error_code = e.code();
                r.error_message = message(&e);
            }
        }
        resp.topics.push(r);
    }
    resp
}

async fn send(ctx: &Ctx, topics: Vec<NewTopic>, validate_only: bool) -> Vec<AdminResult> {
    let (reply, rx) = oneshot::channel();
    let cmd = Command::CreateTopics {
        topics,
        validate_only,
        reply,
    };
    if ctx.bridge.send(cmd).await.is_err() {
        return Vec::new();
    }
    rx.await.unwrap_or_default()
}

pub(super) fn refuse(version: i16, req: CreateTopicsRequest, e: &KafkaError) -> CreateTopicsResponse {
    let outcomes = vec![Err(e.clone()); req.topics.len()];
    response(version, &req, outcomes)
}
