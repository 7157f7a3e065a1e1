//! DeleteAcls (v1-3): remove the stored ACL bindings each filter matches; each filter's result
//! lists what it removed.
//!
//! Needs ALTER on the cluster; SECURITY_DISABLED with authorization off. An invalid filter gets
//! INVALID_REQUEST and the others apply, all in one transaction. The new state is installed
//! before the answer.

use kafka_protocol::messages::delete_acls_request::DeleteAclsFilter;
use kafka_protocol::messages::delete_acls_response::{DeleteAclsFilterResult, DeleteAclsMatchingAcl};
use kafka_protocol::messages::{DeleteAclsRequest, DeleteAclsResponse, ResponseKind};
use kafka_protocol::ResponseError;
use tokio::sync::oneshot;

use super::acl_common::{allowed, denied, refresh};
use super::{message, str_bytes, Call, Reply};
use crate::acl::{AclBinding, AclFilter, InvalidAcl, Operation, ResourceType, CLUSTER_NAME};
use crate::error::KafkaError;
use crate::writer::Command;

pub(super) async fn handle(c: &Call<'_>, req: DeleteAclsRequest) -> Reply {
    let ctx = c.ctx.clone();
    if !ctx.authz.enabled() {
        let e = KafkaError::with_message(
            ResponseError::SecurityDisabled,
            "authorization is off (pg_kafka.authorization)",
        );
        return super::ready(ResponseKind::DeleteAcls(refuse(c.version, req, &e)));
    }
    if !allowed(c, Operation::Alter, ResourceType::Cluster, CLUSTER_NAME) {
        let e = denied(ResourceType::Cluster);
        return super::ready(ResponseKind::DeleteAcls(refuse(c.version, req, &e)));
    }
    let parsed: Vec<Result<AclFilter, KafkaError>> = req
        .filters
        .iter()
        .map(|f| filter(f).map_err(|e| KafkaError::with_message(ResponseError::InvalidRequest, e.0)))
        .collect();
    Box::pin(async move {
        let filters: Vec<AclFilter> = parsed.iter().filter_map(|r| r.clone().ok()).collect();
        let removed = if filters.is_empty() {
            Ok(Vec::new())
        } else {
            remove(&ctx, filters).await
        };
        let mut removed = match removed {
            Ok(r) => r.into_iter(),
            Err(e) => return Some(ResponseKind::DeleteAcls(refuse(0, req, &e))),
        };
        let mut resp = DeleteAclsResponse::default();
        resp.filter_results = parsed
            .into_iter()
            .map(|r| {
                let mut out = DeleteAclsFilterResult::default();
                match r {
                    Err(e) => {
                        out.error_code = e.code();
                        out.error_message = message(&e);
                    }
                    Ok(_) => {
                        out.matching_acls = removed.next().unwrap_or_default().iter().map(matching).collect();
                    }
                }
                out
            })
            .collect();
        Some(ResponseKind::DeleteAcls(resp))
    })
}

/// The filter one entry asks for, checked.
pub(super) fn filter(f: &DeleteAclsFilter) -> Result<AclFilter, InvalidAcl> {
    AclFilter::from_wire(
        f.resource_type_filter,
        f.resource_name_filter.as_deref(),
        f.pattern_type_filter,
        f.principal_filter.as_deref(),
        f.host_filter.as_deref(),
        f.operation,
        f.permission_type,
    )
}

fn matching(b: &AclBinding) -> DeleteAclsMatchingAcl {
    let mut m = DeleteAclsMatchingAcl::default();
    m.resource_type = b.resource_type.code();
    m.resource_name = str_bytes(&b.name);
    m.pattern_type = b.pattern.code();
    m.principal = str_bytes(&b.principal);
    m.host = str_bytes(&b.host);
    m.operation = b.operation.code();
    m.permission_type = b.permission.code();
    m
}

async fn remove(ctx: &super::Ctx, filters: Vec<AclFilter>) -> Result<Vec<Vec<AclBinding>>, KafkaError> {
    let failed = || KafkaError::with_message(ResponseError::UnknownServerError, "the ACLs could not be deleted");
    let (tx, rx) = oneshot::channel();
    ctx.bridge
        .send(Command::DeleteAcls { filters, reply: tx })
        .await
        .map_err(|_| failed())?;
    let removed = rx.await.map_err(|_| failed())?.map_err(|_| failed())?;
    let _ = refresh(ctx).await;
    Ok(removed)
}

pub(super) fn refuse(_version: i16, req: DeleteAclsRequest, e: &KafkaError) -> DeleteAclsResponse {
    let mut resp = DeleteAclsResponse::default();
    resp.filter_results = req
        .filters
        .iter()
        .map(|_| {
            let mut r = DeleteAclsFilterResult::default();
            r.error_code = e.code();
            r.error_message = message(e);
            r
        })
        .collect();
    resp
}
