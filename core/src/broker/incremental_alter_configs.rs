//! IncrementalAlterConfigs (v0-1): SET, DELETE, APPEND and SUBTRACT on a topic's configs
//! (APPEND/SUBTRACT on list configs such as cleanup.policy). The writer applies the operations
//! to the topic's current configs, so concurrent changes compose.
//!
//! Owns no state; shares resource checks and the writer path with AlterConfigs.

use std::sync::Arc;

use kafka_protocol::messages::incremental_alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::{
    IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse, ResponseKind,
};
use kafka_protocol::protocol::StrBytes;

use super::alter_configs::{alter, check_duplicate_names, check_resource, Refusal};
use super::{str_bytes, Ctx, Reply};
use crate::log::configs::ConfigOp;
use crate::writer::ConfigChange;

pub(super) fn handle(ctx: &Arc<Ctx>, version: i16, req: IncrementalAlterConfigsRequest) -> Reply {
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
                let ops = r
                    .configs
                    .iter()
                    .map(|c| {
                        let op = ConfigOp::from_wire(
                            c.config_operation,
                            c.value.as_ref().map(|v| v.as_str()),
                        )?;
                        Ok((c.name.to_string(), op))
                    })
                    .collect::<Result<Vec<_>, Refusal>>()?;
                check_duplicate_names(&ops)?;
                Ok(ConfigChange {
                    topic: r.resource_name.to_string(),
                    replace: false,
                    ops,
                })
            })
            .collect();
        let outcomes = alter(&ctx, changes, req.validate_only).await;
        let mut resp = IncrementalAlterConfigsResponse::default();
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
        Some(ResponseKind::IncrementalAlterConfigs(resp))
    })
}
