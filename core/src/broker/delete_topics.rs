//! DeleteTopics (v1-6): by name (v1-5) or by name or id (v6), in one writer command.
//!
//! Owns no state; the writer decides which topics exist and deletes them in one transaction.

use std::sync::Arc;

use kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use kafka_protocol::messages::{DeleteTopicsRequest, DeleteTopicsResponse, ResponseKind};
use tokio::sync::oneshot;
use uuid::Uuid;

use super::{storage_error, str_bytes, topic_name, Ctx, Reply};
use crate::writer::Command;

pub(super) fn handle(ctx: &Arc<Ctx>, version: i16, req: DeleteTopicsRequest) -> Reply {
    let ctx = ctx.clone();
    Box::pin(async move { Some(ResponseKind::DeleteTopics(delete(&ctx, version, req).await)) })
}

async fn delete(ctx: &Ctx, version: i16, req: DeleteTopicsRequest) -> DeleteTopicsResponse {
    // Name, or an empty name and the id.
    let wanted: Vec<(String, Uuid)> = if version >= 6 {
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
    };
    let results = if wanted.is_empty() {
        Vec::new()
    } else {
        let (reply, rx) = oneshot::channel();
        let cmd = Command::DeleteTopics {
            topics: wanted.clone(),
            reply,
        };
        match ctx.bridge.send(cmd).await {
            Ok(()) => rx.await.unwrap_or_default(),
            Err(_) => Vec::new(),
        }
    };
    let mut results = results.into_iter();
    let mut resp = DeleteTopicsResponse::default();
    for (name, id) in wanted {
        let outcome = results
            .next()
            .unwrap_or_else(|| Err((storage_error(), "the writer is not running".into())));
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
            Err((code, message)) => {
                r.error_code = code;
                if version >= 5 {
                    r.error_message = Some(str_bytes(&message));
                }
            }
        }
        resp.responses.push(r);
    }
    resp
}
