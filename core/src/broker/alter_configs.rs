//! AlterConfigs (v0-2): replace every dynamic config of a topic with the ones given (names not
//! given revert to their defaults). Broker configs come from Postgres settings and cannot be
//! altered here. Also the path IncrementalAlterConfigs shares to the writer.
//!
//! Owns no state: checks resources, then one `AlterTopicConfigs` command applies, validates and
//! commits the changes (or only validates, with `validate_only`).

use std::sync::Arc;

use kafka_protocol::messages::alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::{AlterConfigsRequest, AlterConfigsResponse, ResponseKind};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use tokio::sync::oneshot;

use super::describe_configs::{RESOURCE_BROKER, RESOURCE_TOPIC};
use super::{storage_error, str_bytes, Ctx, Reply};
use crate::log::configs::ConfigOp;
use crate::writer::{AdminResult, Command, ConfigChange};

pub(super) type Refusal = (i16, String);

pub(super) fn handle(ctx: &Arc<Ctx>, version: i16, req: AlterConfigsRequest) -> Reply {
    let ctx = ctx.clone();
    let _ = version;
    Box::pin(async move {
        let resources: Vec<(i8, StrBytes)> = req
            .resources
            .iter()
            .map(|r| (r.resource_type, r.resource_name.clone()))
            .collect();
        let changes: Vec<Result<ConfigChange, Refusal>> = req
            .resources
            .iter()
            .enumerate()
            .map(|(i, r)| {
                check_resource(&resources, i)?;
                let mut ops = Vec::new();
                for c in &r.configs {
                    let value = c.value.as_ref().ok_or_else(|| {
                        (
                            ResponseError::InvalidRequest.code(),
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
        let mut resp = AlterConfigsResponse::default();
        for ((resource_type, resource_name), outcome) in resources.into_iter().zip(outcomes) {
            let mut r = AlterConfigsResourceResponse::default();
            r.resource_type = resource_type;
            r.resource_name = resource_name;
            r.error_message = None;
            if let Err((code, message)) = outcome {
                r.error_code = code;
                r.error_message = Some(str_bytes(&message));
            }
            resp.responses.push(r);
        }
        Some(ResponseKind::AlterConfigs(resp))
    })
}

/// Whether resource `i` of `resources` may be altered: a topic named once in the request.
pub(super) fn check_resource(resources: &[(i8, StrBytes)], i: usize) -> Result<(), Refusal> {
    let Some((kind, name)) = resources.get(i) else {
        return Err((ResponseError::InvalidRequest.code(), "no resource".into()));
    };
    match *kind {
        RESOURCE_TOPIC => {}
        RESOURCE_BROKER => {
            return Err((
                ResponseError::InvalidRequest.code(),
                "broker configs are not alterable through Kafka: they are pg_kafka settings \
                 (postgresql.conf)"
                    .into(),
            ))
        }
        other => {
            return Err((
                ResponseError::InvalidRequest.code(),
                format!("resource type {other} is not supported"),
            ))
        }
    }
    if resources
        .iter()
        .enumerate()
        .any(|(j, r)| j != i && r.0 == *kind && r.1 == *name)
    {
        return Err((
            ResponseError::InvalidRequest.code(),
            format!("topic {:?} appears more than once", name.as_str()),
        ));
    }
    Ok(())
}

/// Refuse a change that names one config twice.
pub(super) fn check_duplicate_names(ops: &[(String, ConfigOp)]) -> Result<(), Refusal> {
    for (i, (name, _)) in ops.iter().enumerate() {
        if ops[..i].iter().any(|(n, _)| n == name) {
            return Err((
                ResponseError::InvalidRequest.code(),
                format!("config {name:?} appears more than once"),
            ));
        }
    }
    Ok(())
}

/// Send the checked changes to the writer; one outcome per entry of `changes`, in order.
pub(super) async fn alter(
    ctx: &Ctx,
    changes: Vec<Result<ConfigChange, Refusal>>,
    validate_only: bool,
) -> Vec<Result<(), Refusal>> {
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
                None => Err((storage_error(), "the writer is not running".into())),
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
