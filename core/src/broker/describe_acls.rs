//! DescribeAcls (v1-3): the stored ACL bindings a filter matches, grouped by resource pattern.
//!
//! Needs DESCRIBE on the cluster; SECURITY_DISABLED with authorization off. Reads the table
//! through the writer, so bindings added by SQL a moment ago are listed.

use std::collections::BTreeMap;

use kafka_protocol::messages::describe_acls_response::{AclDescription, DescribeAclsResource};
use kafka_protocol::messages::{DescribeAclsRequest, DescribeAclsResponse, ResponseKind};
use kafka_protocol::ResponseError;
use tokio::sync::oneshot;

use super::acl_common::{allowed, denied};
use super::{message, str_bytes, Call, Reply};
use crate::acl::{AclFilter, Operation, ResourceType, CLUSTER_NAME};
use crate::error::KafkaError;
use crate::writer::{Command, ReadQuery};

pub(super) async fn handle(c: &Call<'_>, req: DescribeAclsRequest) -> Reply {
    let ctx = c.ctx.clone();
    let refused = |e: KafkaError| super::ready(ResponseKind::DescribeAcls(refuse(c.version, req.clone(), &e)));
    if !ctx.authz.enabled() {
        return refused(KafkaError::with_message(
            ResponseError::SecurityDisabled,
            "authorization is off (pg_kafka.authorization)",
        ));
    }
    if !allowed(c, Operation::Describe, ResourceType::Cluster, CLUSTER_NAME) {
        return refused(denied(ResourceType::Cluster));
    }
    let filter = match AclFilter::from_wire(
        req.resource_type_filter,
        req.resource_name_filter.as_deref(),
        req.pattern_type_filter,
        req.principal_filter.as_deref(),
        req.host_filter.as_deref(),
        req.operation,
        req.permission_type,
    ) {
        Ok(f) => f,
        Err(e) => return refused(KafkaError::with_message(ResponseError::InvalidRequest, e.0)),
    };
    Box::pin(async move {
        let failed = || KafkaError::with_message(ResponseError::UnknownServerError, "the ACLs could not be read");
        let (tx, rx) = oneshot::channel();
        let state = match ctx.bridge.send(Command::Read(ReadQuery::Acls { reply: tx })).await {
            Ok(()) => rx.await.map_err(|_| failed()).and_then(|r| r.map_err(|_| failed())),
            Err(_) => Err(failed()),
        };
        let state = match state {
            Ok(s) => s,
            Err(e) => return Some(ResponseKind::DescribeAcls(refuse(0, DescribeAclsRequest::default(), &e))),
        };
        let mut by_resource: BTreeMap<(i8, String, i8), Vec<AclDescription>> = BTreeMap::new();
        for b in state.bindings.iter().filter(|b| filter.matches(b)) {
            let key = (b.resource_type.code(), b.name.clone(), b.pattern.code());
            let mut d = AclDescription::default();
            d.principal = str_bytes(&b.principal);
            d.host = str_bytes(&b.host);
            d.operation = b.operation.code();
            d.permission_type = b.permission.code();
            by_resource.entry(key).or_default().push(d);
        }
        let mut resp = DescribeAclsResponse::default();
        resp.resources = by_resource
            .into_iter()
            .map(|((t, name, pattern), acls)| {
                let mut r = DescribeAclsResource::default();
                r.resource_type = t;
                r.resource_name = str_bytes(&name);
                r.pattern_type = pattern;
                r.acls = acls;
                r
            })
            .collect();
        Some(ResponseKind::DescribeAcls(resp))
    })
}

pub(super) fn refuse(_version: i16, _req: DescribeAclsRequest, e: &KafkaError) -> DescribeAclsResponse {
    let mut resp = DescribeAclsResponse::default();
    resp.error_code = e.code();
    resp.error_message = message(e);
    resp
}
