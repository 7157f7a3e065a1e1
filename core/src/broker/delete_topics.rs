//! DeleteTopics (v1-6): by name (v1-5) or by name or id (v6), in one writer command.
//!
//! Owns no state; the writer decides which topics exist and deletes them in one transaction.

use kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use kafka_protocol::messages::{DeleteTopicsRequest, DeleteTopicsResponse, ResponseKind};
use tokio::sync::oneshot;
use uuid::Uuid;

use super::acl_common::{allowed_as, denied, principal};
use crate::acl::{Operation, Principal, ResourceType};
use super::{message, topic_name, Call, Ctx, Reply};
use crate::error::KafkaError;
use crate::writer::{AdminResult, Command};

pub(super) async fn handle(c: &Call<'_>, req: DeleteTopicsRequest) -> Reply {
    let (ctx, version) = (c.ctx.clone(), c.version);
    let who = principal(c);
    Box::pin(async move { Some(ResponseKind::DeleteTopics(delete(&ctx, &who, version, req).await)) })
}

/// Each topic the request names: its name, or an empty name and its id.
fn wanted(version: i16, req: DeleteTopicsRequest) -> Vec<(String, Uuid)> {
    if version >= 6 {
        req.topics
            .into_iter()
            .map(|t| match t.name {
                Some(n) => (n.0.to_string(), t.topic_id),
                None => (String::new(), t.topic_id),
            })
            .collect()
    } else {
        req.topic_names
            .into_iter()
            .map(|n| (n.0.to_string(), Uuid::nil()))
            .collect()
    }
}

async fn delete(ctx: &Ctx, who: &Principal, version: i16, req: DeleteTopicsRequest) -> DeleteTopicsResponse {
    let wanted = wanted(version, req);
    // A topic named by id is checked under its name; an unknown id is left to the writer.
    let permitted = |(name, id): &(String, Uuid)| {
        let name = match (name.is_empty(), ctx.registry.get_by_id(id)) {
            (true, Some(t)) => t.name.clone(),
            (true, None) => return true,
            (false, _) => name.clone(),
        };
        allowed_as(ctx, who, Operation::Delete, ResourceType::Topic, &name)
    };
    let verdicts: Vec<bool> = wanted.iter().map(permitted).collect();
    let to_delete: Vec<(String, Uuid)> = wanted
        .iter()
        .zip(&verdicts)
        .filter(|(_, ok)| **ok)
        .map(|(w, _)| w.clone())
        .collect();
    let results = if to_delete.is_empty() {
        Vec::new()
    } else {
        let (reply, rx) = oneshot::channel();
        let cmd = Command::DeleteTopics {
            topics: to_delete,
            reply,
        };
        match ctx.bridge.send(cmd).await {
            Ok(()) => rx.await.unwrap_or_default(),
            Err(_) => Vec::new(),
        }
    };
    let mut results = results.into_iter();
    let mut verdicts = verdicts.into_iter();
    response(version, wanted, || {
        if verdicts.next() == Some(false) {
            return Err(denied(ResourceType::Topic));
        }
        results.next().unwrap_or_else(|| {
            Err(KafkaError::with_message(
                kafka_protocol::ResponseError::KafkaStorageError,
                "the writer is not running",
            ))
        })
    })
}

fn response(
    version: i16,
    wanted: Vec<(String, Uuid)>,
    mut next: impl FnMut() -> AdminResult,
) -> DeleteTopicsResponse {
    let mut resp = DeleteTopicsResponse::default();
    for (name, id) in wanted {
        let outcome = next();
        let mut r = DeletableTopicResult::default();
        r.name = if name.is_empty() && version >= 6 {
            None
        } else {
            Some(topic_name(&name))
        };
        if version >= 6 {
            r.topic_id = id;
        }
        match outcome {
            Ok(t) => {
                r.name = Some(topic_name(&t.name));
                if version >= 6 {
                    r.topic_id = t.id;
                }
            }
            Err(e) => {
                r.error_code = e.code();
                if version >= 5 {
                    r.error_message = message(&e);
                }
            }
        }
        resp.responses.push(r);
    }
    resp
}

pub(super) fn refuse(version: i16, req: DeleteTopicsRequest, e: &KafkaError) -> DeleteTopicsResponse {
    response(version, wanted(version, req), || Err(e.clone()))
}
