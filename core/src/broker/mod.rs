//! Kafka API semantics, one file per API. Handlers answer reads from memory and send mutations
//! to the writer through the bridge; they never touch the store directly.
//!
//! `dispatch` runs on the connection's reader task: side effects whose order matters (queuing a
//! produce) happen before it returns, so pipelined requests are applied in request order; the
//! returned future produces the response and may wait (long-poll Fetch, the writer's reply).
//!
//! Invariants: nothing a client sends can panic here or size an allocation; every response is
//! built for the version the request asked for (fields absent at that version keep their
//! defaults, so the encoder accepts them); error codes come from `kafka_protocol::ResponseError`.

mod add_offsets_to_txn;
mod add_partitions_to_txn;
mod alter_configs;
mod api_versions;
mod consumer_group_describe;
mod consumer_group_heartbeat;
mod create_partitions;
mod create_topics;
mod delete_groups;
mod delete_records;
mod delete_topics;
mod describe_cluster;
mod describe_configs;
mod describe_groups;
mod describe_log_dirs;
mod describe_producers;
mod describe_topic_partitions;
mod describe_transactions;
mod elect_leaders;
mod end_txn;
mod fetch;
mod find_coordinator;
mod heartbeat;
mod incremental_alter_configs;
mod init_producer_id;
mod join_group;
mod leave_group;
mod list_groups;
mod list_offsets;
mod list_partition_reassignments;
mod list_transactions;
mod metadata;
mod offset_commit;
mod offset_delete;
mod offset_fetch;
mod produce;
mod sync_group;
mod topics;
mod txn_common;
mod txn_offset_commit;
mod unsupported;

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_admin;
#[cfg(test)]
mod tests_admin_apis;
#[cfg(test)]
mod tests_configs;
#[cfg(test)]
mod tests_configs_produce;
#[cfg(test)]
mod tests_consumer_groups;
#[cfg(test)]
mod tests_consumer_groups_offsets;
#[cfg(test)]
mod tests_groups;
#[cfg(test)]
mod tests_groups_barrier;
#[cfg(test)]
mod tests_groups_offsets;
#[cfg(test)]
mod tests_idempotence;
#[cfg(test)]
mod tests_limits;
#[cfg(test)]
mod tests_list_offsets;
#[cfg(test)]
mod tests_transactions;
#[cfg(test)]
mod tests_txn_failures;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use kafka_protocol::messages::{RequestKind, ResponseKind, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use crate::config::BrokerConfig;
use crate::group::Coordinator;
use crate::log::Registry;
use crate::net::Bridge;

pub use unsupported::unsupported_response;

/// The protocol pieces the handlers use (record-batch checks, the version table). Switching from
/// the local shim to the real module is this one line: `use crate::protocol;`.
use crate::protocol;

/// What a handler shares: settings, the topics, the way to the writer, the group coordinator.
#[derive(Debug)]
pub struct Ctx {
    pub config: BrokerConfig,
    pub registry: Arc<Registry>,
    pub bridge: Bridge,
    /// The consumer-group coordinator (groups and committed offsets).
    pub groups: Arc<Coordinator>,
}

/// Who sent a request: the client id of its header and the peer address, as Kafka reports them
/// in DescribeGroups ("/127.0.0.1").
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub id: String,
    pub host: String,
}

/// The rest of a request's handling; `None` means no response is sent (acks=0).
pub type Reply = Pin<Box<dyn Future<Output = Option<ResponseKind>> + Send>>;

/// Handle one decoded request at `version`.
///
/// The net layer dispatches only APIs of the version table and answers the others with
/// [`unsupported_response`]; anything else that reaches here gets no response.
pub async fn dispatch(ctx: &Arc<Ctx>, client: &Client, version: i16, req: RequestKind) -> Reply {
    match req {
        RequestKind::ApiVersions(r) => api_versions::handle(version, r),
        RequestKind::Metadata(r) => metadata::handle(ctx, version, r),
        RequestKind::Produce(r) => produce::handle(ctx, version, r).await,
        RequestKind::Fetch(r) => fetch::handle(ctx, version, r),
        RequestKind::ListOffsets(r) => list_offsets::handle(ctx, version, r),
        RequestKind::CreateTopics(r) => create_topics::handle(ctx, version, r),
        RequestKind::DeleteTopics(r) => delete_topics::handle(ctx, version, r),
        RequestKind::CreatePartitions(r) => create_partitions::handle(ctx, version, r),
        RequestKind::FindCoordinator(r) => find_coordinator::handle(ctx, version, r),
        RequestKind::JoinGroup(r) => join_group::handle(ctx, client, version, r),
        RequestKind::SyncGroup(r) => sync_group::handle(ctx, version, r),
        RequestKind::Heartbeat(r) => heartbeat::handle(ctx, version, r),
        RequestKind::LeaveGroup(r) => leave_group::handle(ctx, version, r),
        RequestKind::OffsetCommit(r) => offset_commit::handle(ctx, version, r),
        RequestKind::OffsetFetch(r) => offset_fetch::handle(ctx, version, r),
        RequestKind::DescribeGroups(r) => describe_groups::handle(ctx, version, r),
        RequestKind::ListGroups(r) => list_groups::handle(ctx, version, r),
        RequestKind::DeleteGroups(r) => delete_groups::handle(ctx, version, r),
        RequestKind::OffsetDelete(r) => offset_delete::handle(ctx, version, r),
        RequestKind::ConsumerGroupHeartbeat(r) => {
            consumer_group_heartbeat::handle(ctx, client, version, r)
        }
        RequestKind::ConsumerGroupDescribe(r) => consumer_group_describe::handle(ctx, version, r),
        RequestKind::DescribeConfigs(r) => describe_configs::handle(ctx, version, r),
        RequestKind::AlterConfigs(r) => alter_configs::handle(ctx, version, r),
        RequestKind::IncrementalAlterConfigs(r) => {
            incremental_alter_configs::handle(ctx, version, r)
        }
        RequestKind::DescribeCluster(r) => describe_cluster::handle(ctx, version, r),
        RequestKind::DescribeLogDirs(r) => describe_log_dirs::handle(ctx, version, r),
        RequestKind::DescribeTopicPartitions(r) => {
            describe_topic_partitions::handle(ctx, version, r)
        }
        RequestKind::DeleteRecords(r) => delete_records::handle(ctx, version, r),
        RequestKind::ElectLeaders(r) => elect_leaders::handle(ctx, version, r),
        RequestKind::ListPartitionReassignments(r) => {
            list_partition_reassignments::handle(version, r)
        }
        RequestKind::InitProducerId(r) => init_producer_id::handle(ctx, version, r),
        RequestKind::AddPartitionsToTxn(r) => add_partitions_to_txn::handle(ctx, version, r),
        RequestKind::AddOffsetsToTxn(r) => add_offsets_to_txn::handle(ctx, version, r),
        RequestKind::EndTxn(r) => end_txn::handle(ctx, version, r),
        RequestKind::TxnOffsetCommit(r) => txn_offset_commit::handle(ctx, version, r),
        RequestKind::DescribeProducers(r) => describe_producers::handle(ctx, version, r),
        RequestKind::DescribeTransactions(r) => describe_transactions::handle(ctx, version, r),
        RequestKind::ListTransactions(r) => list_transactions::handle(ctx, version, r),
        _ => Box::pin(async { None }),
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

/// The code clients see when the writer or the store failed.
fn storage_error() -> i16 {
    ResponseError::KafkaStorageError.code()
}
