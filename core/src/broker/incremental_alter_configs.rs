//! IncrementalAlterConfigs (v0-1): SET, DELETE, APPEND and SUBTRACT on a topic's configs
//! (APPEND/SUBTRACT on list configs such as cleanup.policy). The writer applies the operations
//! to the topic's current configs, so concurrent changes compose.
//!
//! Owns no state; shares resource checks and the writer path with AlterConfigs.

use kafka_protocol::messages::incremental_alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::{
    IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse, ResponseKind,
};
use kafka_protocol::protocol::StrBytes;

use super::alter_configs::{alter, check_duplicate_names, check_resource};
use super::{message, Call, Reply};
use crate::error::{code_of, KafkaError, KafkaResult};
use crate::log::configs::ConfigOp;
use crate::writer::ConfigChange;

pub(super) async fn handle(c: &Call<'_>, req: IncrementalAlterConfigsRequest) -> Reply {
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
                    .collect::<KafkaResult<Vec<_>>>()?;
                check_duplicate_names(&ops)?;
                Ok(ConfigChange {
                    topic: r.resource_name.to_string(),
                    replace: false,
                    ops,
                })
            })
            .collect();
        let outcomes = alter(&ctx, changes, req.validate_only).await;
        Some(ResponseKind::IncrementalAlterConfigs(response(
            resources, outcomes,
        )))
    })
}

fn response(
    resources: Vec<(i8, StrBytes)>,
    outcomes: Vec<KafkaResult<()>>,
) -> IncrementalAlterConfigsResponse {
    let mut resp = IncrementalAlterConfigsResponse::default();
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

pub(super) fn refuse(
    _version: i16,
    req: IncrementalAlterConfigsRequest,
    e: &KafkaError,
) -> IncrementalAlterConfigsResponse {
    let resources: Vec<(i8, StrBytes)> = req
        .resources
        .into_iter()
        .map(|r| (r.resource_type, r.resource_name))
        .collect();
    let outcomes = vec![Err(e.clone()); resources.len()];
    response(resources, outcomes)
}
