//! AlterConfigs (v0-2): replace every dynamic config of a topic with the ones given (names not
//! given revert to their defaults). Broker configs come from Postgres settings and cannot be
//! altered here. Also the path IncrementalAlterConfigs shares to the writer.
//!
//! Owns no state: checks resources, then one `AlterTopicConfigs` command applies, validates and
//! commits the changes (or only validates, with `validate_only`).

use kafka_protocol::messages::alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::{AlterConfigsRequest, AlterConfigsResponse, ResponseKind};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use tokio::sync::oneshot;

use super::describe_configs::{RESOURCE_BROKER, RESOURCE_TOPIC};
use super::{message, Call, Ctx, Reply};
use crate::error::{code_of, KafkaError, KafkaResult};
use crate::log::configs::ConfigOp;
use crate::writer::{AdminResult, Command, ConfigChange};

pub(super) async fn handle(c: &Call<'_>, req: AlterConfigsRequest) -> Reply {
    let ctx = c.ctx.clone();
    Box::pin(async move {
        let resources: Vec<(i8, StrBytes)> = req
            .resources
            .iter()
            .map(|r| (r.resource_type, r.resource_name.clone()))
            .collect();
        let changes: Vec<KafkaResult<ConfigChange>> = req
            .resources
            .iter()
            .enumerate()
            .map(|(i, r)| {
                check_resource(&resources, i)?;
                let mut ops = Vec::new();
                for c in &r.configs {
                    let value = c.value.as_ref().ok_or_else(|| {
                        KafkaError::with_message(
                            ResponseError::InvalidRequest,
                            format!("null value for {}", c.name.as_str()),
                        )
                    })?;
                    ops.push((c.name.to_string(), ConfigOp::Set(value.to_string())));
                }
                check_duplicate_names(&ops)?;
                Ok(ConfigChange {
                    topic: r.resource_name.to_string(),
                    replace: true,
                    ops,
                })
            })
            .collect();
        let outcomes = alter(&ctx, changes, req.validate_only).await;
        Some(ResponseKind::AlterConfigs(response(resources, outcomes)))
    })
}

fn response(resources: Vec<(i8, StrBytes)>, outcomes: Vec<KafkaResult<()>>) -> AlterConfigsResponse {
    let mut resp = AlterConfigsResponse::default();
    for ((resource_type, resource_name), outcome) in resources.into_iter().zip(outcomes) {
        let mut r = AlterConfigsResourceResponse::default();
        r.resource_type = resource_type;
        r.resource_name = resource_name;
        r.error_code = code_of(&outcome);
        r.error_message = outcome.err().as_ref().and_then(message);
        resp.responses.push(r);
    }
    resp
}

pub(super) fn refuse(_version: i16, req: AlterConfigsRequest, e: &KafkaError) -> AlterConfigsResponse {
    let resources: Vec<(i8, StrBytes)> = req
        .resources
        .into_iter()
        .map(|r| (r.resource_type, r.resource_name))
        .collect();
    let outcomes = vec![Err(e.clone()); resources.len()];
    response(resources, outcomes)
}

/// Whether resource `i` of `resources` may be altered: a topic named once in the request.
pub(super) fn check_resource(resources: &[(i8, StrBytes)], i: usize) -> KafkaResult<()> {
    let Some((kind, name)) = resources.get(i) else {
        return Err(KafkaError::with_message(
                ResponseError::InvalidRequest,
                "no resource"));
    };
    match *kind {
        RESOURCE_TOPIC => {}
        RESOURCE_BROKER => {
            return Err(KafkaError::with_message(
                ResponseError::InvalidRequest,
                "broker configs are not alterable through Kafka: they are pg_kafka settings \
                 (postgresql.conf)",
            ))
        }
        other => {
            return Err(KafkaError::with_message(
                ResponseError::InvalidRequest,
                format!("resource type {other} is not supported"),
            ))
        }
    }
    if resources
        .iter()
        .enumerate()
        .any(|(j, r)| j != i && r.0 == *kind && r.1 == *name)
    {
        return Err(KafkaError::with_message(
                ResponseError::InvalidRequest,
                format!("topic {:?} appears more than once", name.as_str()),
        ));
    }
    Ok(())
}

/// Refuse a change that names one config twice.
pub(super) fn check_duplicate_names(ops: &[(String, ConfigOp)]) -> KafkaResult<()> {
    for (i, (name, _)) in ops.iter().enumerate() {
        if ops[..i].iter().any(|(n, _)| n == name) {
            return Err(KafkaError::with_message(
                ResponseError::InvalidRequest,
                format!("config {name:?} appears more than once"),
            ));
        }
    }
    Ok(())
}

/// Send the checked changes to the writer; one outcome per entry of `changes`, in order.
pub(super) async fn alter(
    ctx: &Ctx,
    changes: Vec<KafkaResult<ConfigChange>>,
    validate_only: bool,
) -> Vec<KafkaResult<()>> {
    let to_send: Vec<ConfigChange> = changes
        .iter()
        .filter_map(|c| c.as_ref().ok().cloned())
        .collect();
    let mut done = if to_send.is_empty() {
        Vec::new()
    } else {
        send(ctx, to_send, validate_only).await
    }
    .into_iter();
    changes
        .into_iter()
        .map(|c| match c {
            Err(e) => Err(e),
            Ok(_) => match done.next() {
                Some(r) => r.map(drop),
                None => Err(KafkaError::with_message(
                    ResponseError::KafkaStorageError,
                    "the writer is not running",
                )),
            },
        })
        .collect()
}

async fn send(ctx: &Ctx, changes: Vec<ConfigChange>, validate_only: bool) -> Vec<AdminResult> {
    let (reply, rx) = oneshot::channel();
    let cmd = Command::AlterTopicConfigs {
        changes,
        validate_only,
        reply,
    };
    if ctx.bridge.send(cmd).await.is_err() {
        return Vec::new();
    }
    rx.await.unwrap_or_default()
}
