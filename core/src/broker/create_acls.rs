//! CreateAcls (v1-3): add ACL bindings to `kafka.acl_bindings`, as the caller's principal.
//!
//! Needs ALTER on the cluster. With authorization off the answer is SECURITY_DISABLED, as
//! Kafka's without an authorizer: nobody may pre-seed the ACLs of a broker that checks none
//! (the DBA can, through `kafka.grant_acl`). An invalid binding gets INVALID_REQUEST and the
//! others are stored; the new state is installed before the answer, so the caller's next
//! request is decided by it.

use kafka_protocol::messages::create_acls_request::AclCreation;
use kafka_protocol::messages::create_acls_response::AclCreationResult;
use kafka_protocol::messages::{CreateAclsRequest, CreateAclsResponse, ResponseKind};
use kafka_protocol::ResponseError;
use tokio::sync::oneshot;

use super::acl_common::{allowed, denied, principal, refresh};
use super::{message, Call, Reply};
use crate::acl::{AclBinding, InvalidAcl, Operation, ResourceType, CLUSTER_NAME};
use crate::error::KafkaError;
use crate::writer::Command;

pub(super) async fn handle(c: &Call<'_>, req: CreateAclsRequest) -> Reply {
    let ctx = c.ctx.clone();
    if !ctx.authz.enabled() {
        let e = KafkaError::with_message(
            ResponseError::SecurityDisabled,
            "authorization is off (pg_kafka.authorization)",
        );
        return super::ready(ResponseKind::CreateAcls(refuse(c.version, req, &e)));
    }
    if !allowed(c, Operation::Alter, ResourceType::Cluster, CLUSTER_NAME) {
        let e = denied(ResourceType::Cluster);
        return super::ready(ResponseKind::CreateAcls(refuse(c.version, req, &e)));
    }
    let by = principal(c).name();
    let parsed: Vec<Result<AclBinding, KafkaError>> = req
        .creations
        .iter()
        .map(|a| {
            binding(a).map_err(|e| KafkaError::with_message(ResponseError::InvalidRequest, e.0))
        })
        .collect();
    Box::pin(async move {
        let bindings: Vec<AclBinding> = parsed.iter().filter_map(|r| r.clone().ok()).collect();
        let stored = if bindings.is_empty() {
            Ok(())
        } else {
            store(&ctx, bindings, by).await
        };
        let mut resp = CreateAclsResponse::default();
        resp.results = parsed
            .into_iter()
            .map(|r| {
                let outcome = r.and_then(|_| stored.clone());
                let mut out = AclCreationResult::default();
                if let Err(e) = outcome {
                    out.error_code = e.code();
                    out.error_message = message(&e);
                }
                out
            })
            .collect();
        Some(ResponseKind::CreateAcls(resp))
    })
}

/// The binding one creation asks for, checked.
pub(super) fn binding(a: &AclCreation) -> Result<AclBinding, InvalidAcl> {
    AclBinding::from_wire(
        a.resource_type,
        &a.resource_name,
        a.resource_pattern_type,
        &a.principal,
        &a.host,
        a.operation,
        a.permission_type,
    )
}

async fn store(ctx: &super::Ctx, bindings: Vec<AclBinding>, by: String) -> Result<(), KafkaError> {
    let failed = || KafkaError::with_message(ResponseError::UnknownServerError, "the ACLs could not be stored");
    let (tx, rx) = oneshot::channel();
    ctx.bridge
        .send(Command::CreateAcls { bindings, by, reply: tx })
        .await
        .map_err(|_| failed())?;
    rx.await.map_err(|_| failed())?.map_err(|_| failed())?;
    // Decided by the new state from the next request on; a failed read leaves it to the
    // refresh every second.
    let _ = refresh(ctx).await;
    Ok(())
}

pub(super) fn refuse(_version: i16, req: CreateAclsRequest, e: &KafkaError) -> CreateAclsResponse {
    let mut resp = CreateAclsResponse::default();
    resp.results = req
        .creations
        .iter()
        .map(|_| {
            let mut r = AclCreationResult::default();
            r.error_code = e.code();
            r.error_message = message(e);
            r
        })
        .collect();
    resp
}
