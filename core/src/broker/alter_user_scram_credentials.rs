//! AlterUserScramCredentials (v0): refused. Postgres owns the passwords, so every user named gets
//! POLICY_VIOLATION with a message that points to `ALTER ROLE ... PASSWORD` (which changes the
//! Kafka password too). A caller without ALTER on the cluster (a Postgres superuser, with
//! authorization off) gets CLUSTER_AUTHORIZATION_FAILED, as Kafka answers.
//!
//! Owns no state and changes nothing.

use kafka_protocol::messages::alter_user_scram_credentials_response::AlterUserScramCredentialsResult;
use kafka_protocol::messages::{
    AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse, ResponseKind,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::describe_user_scram_credentials::{may, some_message};
use super::{ready, Call, Reply};
use crate::error::KafkaError;

pub(super) async fn handle(c: &Call<'_>, req: AlterUserScramCredentialsRequest) -> Reply {
    let e = if may(c, crate::acl::Operation::Alter) {
        KafkaError::with_message(
            ResponseError::PolicyViolation,
            "pg_kafka uses the Postgres role's password: change it with ALTER ROLE ... PASSWORD",
        )
    } else {
        KafkaError::with_message(
            ResponseError::ClusterAuthorizationFailed,
            "Altering SCRAM credentials needs ALTER on the cluster (or a Postgres superuser)",
        )
    };
    ready(ResponseKind::AlterUserScramCredentials(refuse(c.version, req, &e)))
}

/// One result per user named (first mention), each with `e`.
pub(super) fn refuse(
    _version: i16,
    req: AlterUserScramCredentialsRequest,
    e: &KafkaError,
) -> AlterUserScramCredentialsResponse {
    let names = req
        .deletions
        .into_iter()
        .map(|d| d.name)
        .chain(req.upsertions.into_iter().map(|u| u.name));
    let mut seen = std::collections::HashSet::<StrBytes>::new();
    let mut resp = AlterUserScramCredentialsResponse::default();
    resp.results = names
        .filter(|n| seen.insert(n.clone()))
        .map(|user| {
            let mut r = AlterUserScramCredentialsResult::default();
            r.user = user;
            r.error_code = e.code();
            r.error_message = some_message(e);
            r
        })
        .collect();
    resp
}
