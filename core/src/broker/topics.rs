//! Topic lookup with auto-creation, shared by Metadata and Produce.
//!
//! Owns nothing: it reads the registry and asks the writer (one `CreateTopics` command per call)
//! for the topics that are missing. The writer validates names and decides existence; a
//! TOPIC_ALREADY_EXISTS answer means another request created the topic first, so it is looked up
//! again.

use kafka_protocol::ResponseError;
use tokio::sync::oneshot;

use super::Ctx;
use crate::error::KafkaError;
use crate::writer::{AdminResult, Command, NewTopic};

/// Every name in `names`, in order, as an existing topic or one created now with the default
/// partition count.
pub(super) async fn ensure_topics(ctx: &Ctx, names: &[String]) -> Vec<AdminResult> {
    let mut missing: Vec<String> = Vec::new();
    for name in names {
        if ctx.registry.get(name).is_none() && !missing.contains(name) {
            missing.push(name.clone());
        }
    }
    let created = if missing.is_empty() {
        Vec::new()
    } else {
        create(ctx, &missing).await
    };
    names
        .iter()
        .map(|name| {
            if let Some(t) = ctx.registry.get(name) {
                return Ok(t);
            }
            let i = missing.iter().position(|m| m == name);
            match i.and_then(|i| created.get(i)) {
                Some(Ok(t)) => Ok(t.clone()),
                Some(Err(e)) if e.code == ResponseError::TopicAlreadyExists => {
                    lookup_again(ctx, name)
                }
                Some(Err(e)) => Err(e.clone()),
                None => Err(KafkaError::with_message(
                    ResponseError::KafkaStorageError,
                    "the writer did not answer",
                )),
            }
        })
        .collect()
}

fn lookup_again(ctx: &Ctx, name: &str) -> AdminResult {
    ctx.registry.get(name).ok_or_else(|| {
        KafkaError::with_message(
            ResponseError::UnknownTopicOrPartition,
            format!("topic {name:?} was deleted while it was being created"),
        )
    })
}

async fn create(ctx: &Ctx, names: &[String]) -> Vec<AdminResult> {
    let (reply, rx) = oneshot::channel();
    let topics = names
        .iter()
        .map(|name| NewTopic {
            name: name.clone(),
            partitions: ctx.config.default_partitions,
            configs: Default::default(),
        })
        .collect();
    let cmd = Command::CreateTopics {
        topics,
        validate_only: false,
        reply,
    };
    if ctx.bridge.send(cmd).await.is_err() {
        return Vec::new();
    }
    rx.await.unwrap_or_default()
}
