//! DescribeUserScramCredentials (v0): which roles have a SCRAM-SHA-256 password and its
//! iteration count, read from `pg_authid` through the writer.
//!
//! Owns no state. With authorization on, the caller needs DESCRIBE on the cluster, as in Kafka;
//! with it off, only a Postgres superuser may ask (others get CLUSTER_AUTHORIZATION_FAILED): the
//! answer names roles, which logins never disclose. A user
//! without a SCRAM password, or no such role, is RESOURCE_NOT_FOUND; a name asked twice is
//! DUPLICATE_RESOURCE, as Kafka answers. No users (null or empty) describes every role with one.

use std::collections::HashMap;

use kafka_protocol::messages::describe_user_scram_credentials_response::{
    CredentialInfo, DescribeUserScramCredentialsResult,
};
use kafka_protocol::messages::{
    DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse, ResponseKind,
};
use kafka_protocol::ResponseError;
use tokio::sync::oneshot;

use super::acl_common::allowed;
use super::{message, ready, str_bytes, Call, Ctx, Reply};
use crate::acl::{Operation, ResourceType, CLUSTER_NAME};
use crate::auth::verifier::Verifier;
use crate::error::KafkaError;
use crate::writer::{Command, ReadQuery};

/// Kafka's mechanism code for SCRAM-SHA-256.
const SCRAM_SHA_256: i8 = 1;

/// May the caller `op` the cluster's SCRAM credentials: by the ACLs when authorization is on,
/// as a Postgres superuser otherwise.
pub(super) fn may(c: &Call<'_>, op: Operation) -> bool {
    if c.ctx.authz.enabled() {
        return allowed(c, op, ResourceType::Cluster, CLUSTER_NAME);
    }
    c.client.session.principal().is_some_and(|p| p.superuser)
}

pub(super) async fn handle(c: &Call<'_>, req: DescribeUserScramCredentialsRequest) -> Reply {
    if !may(c, Operation::Describe) {
        let e = KafkaError::with_message(
            ResponseError::ClusterAuthorizationFailed,
            "Describing SCRAM credentials needs DESCRIBE on the cluster (or a Postgres superuser)",
        );
        return ready(ResponseKind::DescribeUserScramCredentials(refuse(c.version, req, &e)));
    }
    let ctx = c.ctx.clone();
    Box::pin(async move {
        let resp = match describe(&ctx, req).await {
            Ok(r) => r,
            Err(e) => refuse(0, DescribeUserScramCredentialsRequest::default(), &e),
        };
        Some(ResponseKind::DescribeUserScramCredentials(resp))
    })
}

async fn ask<T>(ctx: &Ctx, q: impl FnOnce(oneshot::Sender<T>) -> ReadQuery) -> Result<T, KafkaError> {
    let (tx, rx) = oneshot::channel();
    let unavailable = || KafkaError::new(ResponseError::CoordinatorNotAvailable);
    ctx.bridge.send(Command::Read(q(tx))).await.map_err(|_| unavailable())?;
    rx.await.map_err(|_| unavailable())
}

fn found(user: String, verifier: &str) -> DescribeUserScramCredentialsResult {
    let mut r = DescribeUserScramCredentialsResult::default();
    match Verifier::parse(verifier) {
        Ok(v) => {
            r.credential_infos = vec![CredentialInfo::default()
                .with_mechanism(SCRAM_SHA_256)
                .with_iterations(v.iterations as i32)];
        }
        Err(_) => {
            r.error_code = ResponseError::ResourceNotFound.code();
            r.error_message = Some(str_bytes("Attempt to describe a user credential that does not exist"));
        }
    }
    r.user = str_bytes(&user);
    r
}

fn not_found(user: &str, error: ResponseError, text: &str) -> DescribeUserScramCredentialsResult {
    let mut r = DescribeUserScramCredentialsResult::default();
    r.user = str_bytes(user);
    r.error_code = error.code();
    r.error_message = Some(str_bytes(text));
    r
}

async fn describe(
    ctx: &Ctx,
    req: DescribeUserScramCredentialsRequest,
) -> Result<DescribeUserScramCredentialsResponse, KafkaError> {
    let storage = |_| KafkaError::new(ResponseError::UnknownServerError);
    let mut resp = DescribeUserScramCredentialsResponse::default();
    // Null or empty: every user, as Kafka answers both.
    let Some(users) = req.users.filter(|u| !u.is_empty()) else {
        let all = ask(ctx, |reply| ReadQuery::ScramRoles { reply }).await?.map_err(storage)?;
        resp.results = all.into_iter().map(|(name, v)| found(name, &v)).collect();
        return Ok(resp);
    };
    let mut times: HashMap<String, usize> = HashMap::new();
    for u in &users {
        *times.entry(u.name.to_string()).or_default() += 1;
    }
    let mut seen = std::collections::HashSet::new();
    for u in users {
        let name = u.name.to_string();
        if !seen.insert(name.clone()) {
            continue;
        }
        if times[&name] > 1 {
            let text = "Cannot describe SCRAM credentials for the same user twice in a single request";
            resp.results.push(not_found(&name, ResponseError::DuplicateResource, text));
            continue;
        }
        let role = ask(ctx, |reply| ReadQuery::Role { name: name.clone(), reply })
            .await?
            .map_err(storage)?;
        resp.results.push(match role.and_then(|r| r.password) {
            Some(v) => found(name, &v),
            None => not_found(
                &name,
                ResponseError::ResourceNotFound,
                "Attempt to describe a user credential that does not exist",
            ),
        });
    }
    Ok(resp)
}

/// The error's message, or its name: librdkafka reads a per-user error message as a C string and
/// must be given one.
pub(super) fn some_message(e: &KafkaError) -> Option<kafka_protocol::protocol::StrBytes> {
    message(e).or_else(|| Some(str_bytes(&format!("{:?}", e.code))))
}

/// The error on every user named; at the top level only when none was (librdkafka up to 2.12
/// frees the top-level error string it reads into stack memory, and aborts, so a top-level error
/// is given only where there is nowhere else to put it).
pub(super) fn refuse(
    _version: i16,
    req: DescribeUserScramCredentialsRequest,
    e: &KafkaError,
) -> DescribeUserScramCredentialsResponse {
    let mut resp = DescribeUserScramCredentialsResponse::default();
    if req.users.as_ref().is_none_or(|u| u.is_empty()) {
        resp.error_code = e.code();
        resp.error_message = some_message(e);
    }
    resp.results = req
        .users
        .unwrap_or_default()
        .into_iter()
        .map(|u| {
            let mut r = DescribeUserScramCredentialsResult::default();
            r.user = u.name;
            r.error_code = e.code();
            r.error_message = some_message(e);
            r
        })
        .collect();
    resp
}
