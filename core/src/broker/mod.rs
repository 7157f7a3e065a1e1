//! Kafka API semantics, one file per API. Handlers answer reads from memory and send mutations
//! to the writer through the bridge; they never touch the store directly.
//!
//! `dispatch` runs on the connection's reader task: side effects whose order matters (queuing a
//! produce) happen before it returns, so pipelined requests are applied in request order; the
//! returned future produces the response and may wait (long-poll Fetch, the writer's reply).
//!
//! Every API has one line in [`apis!`] below and one file with two functions: `handle`, and
//! `refuse`, which answers the whole request with one error on every topic, partition or group it
//! named (used for request-level errors, and by whatever refuses a request before its handler
//! runs). The list is in API-key order, as the version table is; a test keeps the two equal.
//!
//! Invariants: nothing a client sends can panic here or size an allocation; every response is
//! built for the version the request asked for (fields absent at that version keep their
//! defaults, so the encoder accepts them); error codes come from `kafka_protocol::ResponseError`
//! through [`KafkaError`].

pub mod acl_common;
mod audit;
mod topics;
mod txn_common;
mod unsupported;

#[cfg(test)]
pub(crate) mod tests;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use kafka_protocol::messages::{ApiKey, RequestKind, ResponseKind, TopicName};
use kafka_protocol::protocol::StrBytes;

use crate::acl::Authorizer;
use crate::auth::{Authenticator, Session};
use crate::config::BrokerConfig;
use crate::error::KafkaError;
use crate::group::Coordinator;
use crate::log::Registry;
use crate::net::Bridge;

pub use unsupported::unsupported_response;

/// What a handler shares: settings, the topics, the way to the writer, the group coordinator.
#[derive(Debug)]
pub struct Ctx {
    pub config: BrokerConfig,
    pub registry: Arc<Registry>,
    pub bridge: Bridge,
    /// The consumer-group coordinator (groups and committed offsets).
    pub groups: Arc<Coordinator>,
    /// Login state shared by connections (mock salts, failure delays).
    pub auth: Authenticator,
    /// TLS configuration of SSL and SASL_SSL listeners (None when there are none).
    pub tls: Option<Arc<crate::net::Tls>>,
    /// Kafka ACLs (allows everything when authorization is off).
    pub authz: Authorizer,
}

/// Who sent a request: the client id of its header and the peer address, as Kafka reports them
/// in DescribeGroups ("/127.0.0.1").
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub id: String,
    pub host: String,
    /// Index of the listener the connection arrived on (`BrokerConfig::listener`).
    pub listener: usize,
    /// The connection's login state and principal.
    pub session: Arc<Session>,
    /// The peer's address (failure delays are kept per address).
    pub ip: Option<std::net::IpAddr>,
}

/// One request as its handler sees it.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    pub ctx: &'a Arc<Ctx>,
    pub client: &'a Client,
    pub version: i16,
}

/// The rest of a request's handling; `None` means no response is sent (acks=0).
pub type Reply = Pin<Box<dyn Future<Output = Option<ResponseKind>> + Send>>;

/// A decoded request no handler serves (its API is not in [`SERVED`]). The net layer answers it
/// with [`unsupported_response`], or closes the connection where no response can say so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no handler serves this API")]
pub struct Unserved;

macro_rules! apis {
    ($($kind:ident => $module:ident,)*) => {
        $(mod $module;)*

        /// Every API a handler serves, in API-key order.
        pub const SERVED: &[ApiKey] = &[$(ApiKey::$kind,)*];

        /// Handle one decoded request.
        pub async fn dispatch(call: Call<'_>, req: RequestKind) -> Result<Reply, Unserved> {
            let audit = audit::begin(&call, &req);
            let reply = if let Some(e) = acl_common::gate(&call, &req) {
                refuse(call.version, req, &e).map(ready).ok_or(Unserved)?
            } else {
                match req {
                    $(RequestKind::$kind(r) => $module::handle(&call, r).await,)*
                    _ => return Err(Unserved),
                }
            };
            Ok(match audit {
                None => reply,
                Some(pending) => Box::pin(async move {
                    let resp = reply.await;
                    pending.finish(resp.as_ref()).await;
                    resp
                }),
            })
        }

        /// The response to `req` at `version` that refuses all of it with `error`: the code on
        /// every topic, partition or group the request named (and at the top level where the
        /// response has one). `None` for an API no handler serves.
        pub fn refuse(version: i16, req: RequestKind, error: &KafkaError) -> Option<ResponseKind> {
            match req {
                $(RequestKind::$kind(r) => Some(ResponseKind::$kind($module::refuse(version, r, error))),)*
                _ => None,
            }
        }
    };
}

apis! {
    Produce => produce,
    Fetch => fetch,
    ListOffsets => list_offsets,
    Metadata => metadata,
    OffsetCommit => offset_commit,
    OffsetFetch => offset_fetch,
    FindCoordinator => find_coordinator,
    JoinGroup => join_group,
    Heartbeat => heartbeat,
    LeaveGroup => leave_group,
    SyncGroup => sync_group,
    DescribeGroups => describe_groups,
    ListGroups => list_groups,
    SaslHandshake => sasl_handshake,
    ApiVersions => api_versions,
    CreateTopics => create_topics,
    DeleteTopics => delete_topics,
    DeleteRecords => delete_records,
    InitProducerId => init_producer_id,
    AddPartitionsToTxn => add_partitions_to_txn,
    AddOffsetsToTxn => add_offsets_to_txn,
    EndTxn => end_txn,
    TxnOffsetCommit => txn_offset_commit,
    DescribeAcls => describe_acls,
    CreateAcls => create_acls,
    DeleteAcls => delete_acls,
    DescribeConfigs => describe_configs,
    AlterConfigs => alter_configs,
    DescribeLogDirs => describe_log_dirs,
    SaslAuthenticate => sasl_authenticate,
    CreatePartitions => create_partitions,
    DeleteGroups => delete_groups,
    ElectLeaders => elect_leaders,
    IncrementalAlterConfigs => incremental_alter_configs,
    ListPartitionReassignments => list_partition_reassignments,
    OffsetDelete => offset_delete,
    DescribeUserScramCredentials => describe_user_scram_credentials,
    AlterUserScramCredentials => alter_user_scram_credentials,
    DescribeCluster => describe_cluster,
    DescribeProducers => describe_producers,
    DescribeTransactions => describe_transactions,
    ListTransactions => list_transactions,
    ConsumerGroupHeartbeat => consumer_group_heartbeat,
    ConsumerGroupDescribe => consumer_group_describe,
    DescribeTopicPartitions => describe_topic_partitions,
}

/// `items` without repeats of a key, first occurrences in request order: naming something twice
/// costs what naming it once costs, as Kafka's brokers answer (they collect names into sets).
fn dedup_by<T, K: Eq + std::hash::Hash>(items: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut seen = std::collections::HashSet::new();
    items.into_iter().filter(|i| seen.insert(key(i))).collect()
}

/// Keep the first request entry of each (topic, partition): `partitions` of each topic entry
/// are filtered in place by `partition`, keyed with the entry's `topic` key.
fn dedup_partitions<T, P, K: Eq + std::hash::Hash + Clone>(
    topics: &mut [T],
    topic: impl Fn(&T) -> K,
    partitions: impl Fn(&mut T) -> &mut Vec<P>,
    partition: impl Fn(&P) -> i32,
) {
    let mut seen = std::collections::HashSet::new();
    for t in topics.iter_mut() {
        let k = topic(t);
        partitions(t).retain(|p| seen.insert((k.clone(), partition(p))));
    }
}

/// A reply that is already known.
fn ready(resp: ResponseKind) -> Reply {
    Box::pin(std::future::ready(Some(resp)))
}

fn str_bytes(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_owned())
}

fn topic_name(s: &str) -> TopicName {
    TopicName(str_bytes(s))
}

/// An error message as the wire carries it.
fn message(e: &KafkaError) -> Option<StrBytes> {
    e.message().map(str_bytes)
}
