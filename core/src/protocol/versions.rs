//! THE version table: which APIs and versions the broker advertises in ApiVersions and which it
//! actually decodes, each row tied to the schema the guard walks.
//!
//! Owns: advertised and served version ranges. Must not touch: decoding or handlers.
//! Invariants: `min_served >= min_advertised` and every served version has a schema; a version
//! advertised but not served (Produce v0-2, which `kafka_protocol` cannot decode) is answered by
//! the handler with UNSUPPORTED_VERSION. docs/protocol-coverage.md is rendered from this table
//! and a test keeps the two equal.

use kafka_protocol::messages::ApiKey;

use super::schema::{self, ApiSchema};

/// One API: advertised range, lowest version we decode, and its request schema.
#[derive(Debug)]
pub struct ApiRow {
    pub key: ApiKey,
    pub min_advertised: i16,
    pub max_advertised: i16,
    pub min_served: i16,
    pub schema: &'static ApiSchema,
}

const fn row(
    key: ApiKey,
    min_advertised: i16,
    max_advertised: i16,
    min_served: i16,
    schema: &'static ApiSchema,
) -> ApiRow {
    ApiRow {
        key,
        min_advertised,
        max_advertised,
        min_served,
        schema,
    }
}

/// Ordered by API key so ApiVersions and the coverage page list them the same way (a test
/// checks the order and that `broker::SERVED` names the same APIs).
pub static TABLE: &[ApiRow] = &[
    row(ApiKey::Produce, 0, 11, 3, &schema::produce::PRODUCE),
    row(ApiKey::Fetch, 4, 16, 4, &schema::fetch::FETCH),
    row(
        ApiKey::ListOffsets,
        1,
        8,
        1,
        &schema::list_offsets::LIST_OFFSETS,
    ),
    row(ApiKey::Metadata, 0, 12, 0, &schema::metadata::METADATA),
    row(
        ApiKey::OffsetCommit,
        2,
        9,
        2,
        &schema::offset_commit::OFFSET_COMMIT,
    ),
    row(
        ApiKey::OffsetFetch,
        1,
        9,
        1,
        &schema::offset_fetch::OFFSET_FETCH,
    ),
    row(
        ApiKey::FindCoordinator,
        0,
        4,
        0,
        &schema::find_coordinator::FIND_COORDINATOR,
    ),
    row(ApiKey::JoinGroup, 0, 9, 0, &schema::join_group::JOIN_GROUP),
    row(ApiKey::Heartbeat, 0, 4, 0, &schema::heartbeat::HEARTBEAT),
    row(
        ApiKey::LeaveGroup,
        0,
        5,
        0,
        &schema::leave_group::LEAVE_GROUP,
    ),
    row(ApiKey::SyncGroup, 0, 5, 0, &schema::sync_group::SYNC_GROUP),
    row(
        ApiKey::DescribeGroups,
        0,
        5,
        0,
        &schema::describe_groups::DESCRIBE_GROUPS,
    ),
    row(
        ApiKey::ListGroups,
        0,
        5,
        0,
        &schema::list_groups::LIST_GROUPS,
    ),
    row(
        ApiKey::SaslHandshake,
        0,
        1,
        0,
        &schema::sasl_handshake::SASL_HANDSHAKE,
    ),
    row(
        ApiKey::ApiVersions,
        0,
        4,
        0,
        &schema::api_versions::API_VERSIONS,
    ),
    row(
        ApiKey::CreateTopics,
        2,
        7,
        2,
        &schema::create_topics::CREATE_TOPICS,
    ),
    row(
        ApiKey::DeleteTopics,
        1,
        6,
        1,
        &schema::delete_topics::DELETE_TOPICS,
    ),
    row(
        ApiKey::DeleteRecords,
        0,
        2,
        0,
        &schema::delete_records::DELETE_RECORDS,
    ),
    row(
        ApiKey::InitProducerId,
        0,
        5,
        0,
        &schema::init_producer_id::INIT_PRODUCER_ID,
    ),
    row(
        ApiKey::AddPartitionsToTxn,
        0,
        3,
        0,
        &schema::add_partitions_to_txn::ADD_PARTITIONS_TO_TXN,
    ),
    row(
        ApiKey::AddOffsetsToTxn,
        0,
        4,
        0,
        &schema::add_offsets_to_txn::ADD_OFFSETS_TO_TXN,
    ),
    row(ApiKey::EndTxn, 0, 5, 0, &schema::end_txn::END_TXN),
    row(
        ApiKey::TxnOffsetCommit,
        0,
        5,
        0,
        &schema::txn_offset_commit::TXN_OFFSET_COMMIT,
    ),
    row(
        ApiKey::DescribeAcls,
        1,
        3,
        1,
        &schema::describe_acls::DESCRIBE_ACLS,
    ),
    row(
        ApiKey::CreateAcls,
        1,
        3,
        1,
        &schema::create_acls::CREATE_ACLS,
    ),
    row(
        ApiKey::DeleteAcls,
        1,
        3,
        1,
        &schema::delete_acls::DELETE_ACLS,
    ),
    row(
        ApiKey::DescribeConfigs,
        1,
        4,
        1,
        &schema::describe_configs::DESCRIBE_CONFIGS,
    ),
    row(
        ApiKey::AlterConfigs,
        0,
        2,
        0,
        &schema::alter_configs::ALTER_CONFIGS,
    ),
    row(
        ApiKey::DescribeLogDirs,
        1,
        4,
        1,
        &schema::describe_log_dirs::DESCRIBE_LOG_DIRS,
    ),
    row(
        ApiKey::SaslAuthenticate,
        0,
        2,
        0,
        &schema::sasl_authenticate::SASL_AUTHENTICATE,
    ),
    row(
        ApiKey::CreatePartitions,
        0,
        3,
        0,
        &schema::create_partitions::CREATE_PARTITIONS,
    ),
    row(
        ApiKey::DeleteGroups,
        0,
        2,
        0,
        &schema::delete_groups::DELETE_GROUPS,
    ),
    row(
        ApiKey::ElectLeaders,
        0,
        2,
        0,
        &schema::elect_leaders::ELECT_LEADERS,
    ),
    row(
        ApiKey::IncrementalAlterConfigs,
        0,
        1,
        0,
        &schema::incremental_alter_configs::INCREMENTAL_ALTER_CONFIGS,
    ),
    row(
        ApiKey::ListPartitionReassignments,
        0,
        0,
        0,
        &schema::list_partition_reassignments::LIST_PARTITION_REASSIGNMENTS,
    ),
    row(
        ApiKey::OffsetDelete,
        0,
        0,
        0,
        &schema::offset_delete::OFFSET_DELETE,
    ),
    row(
        ApiKey::DescribeUserScramCredentials,
        0,
        0,
        0,
        &schema::describe_user_scram_credentials::DESCRIBE_USER_SCRAM_CREDENTIALS,
    ),
    row(
        ApiKey::AlterUserScramCredentials,
        0,
        0,
        0,
        &schema::alter_user_scram_credentials::ALTER_USER_SCRAM_CREDENTIALS,
    ),
    row(
        ApiKey::DescribeCluster,
        0,
        2,
        0,
        &schema::describe_cluster::DESCRIBE_CLUSTER,
    ),
    row(
        ApiKey::DescribeProducers,
        0,
        0,
        0,
        &schema::describe_producers::DESCRIBE_PRODUCERS,
    ),
    row(
        ApiKey::DescribeTransactions,
        0,
        0,
        0,
        &schema::describe_transactions::DESCRIBE_TRANSACTIONS,
    ),
    row(
        ApiKey::ListTransactions,
        0,
        2,
        0,
        &schema::list_transactions::LIST_TRANSACTIONS,
    ),
    row(
        ApiKey::ConsumerGroupHeartbeat,
        0,
        1,
        0,
        &schema::consumer_group_heartbeat::CONSUMER_GROUP_HEARTBEAT,
    ),
    row(
        ApiKey::ConsumerGroupDescribe,
        0,
        1,
        0,
        &schema::consumer_group_describe::CONSUMER_GROUP_DESCRIBE,
    ),
    row(
        ApiKey::DescribeTopicPartitions,
        0,
        0,
        0,
        &schema::describe_topic_partitions::DESCRIBE_TOPIC_PARTITIONS,
    ),
];

/// The row for an API key, if we speak that API at all.
pub fn lookup(api_key: i16) -> Option<&'static ApiRow> {
    TABLE.iter().find(|r| r.key as i16 == api_key)
}

/// Whether we decode and serve `version` of `api_key`.
pub fn supported(api_key: i16, version: i16) -> bool {
    lookup(api_key).is_some_and(|r| (r.min_served..=r.max_advertised).contains(&version))
}

/// `(api_key, min_version, max_version)` for every advertised API, for the ApiVersions response.
pub fn api_versions_entries() -> Vec<(i16, i16, i16)> {
    TABLE
        .iter()
        .map(|r| (r.key as i16, r.min_advertised, r.max_advertised))
        .collect()
}

/// The coverage table that docs/protocol-coverage.md holds below its generated-marker line.
pub fn coverage_markdown() -> String {
    let mut out =
        String::from("| API | Key | Advertised versions | Decoded versions |\n|---|---|---|---|\n");
    for r in TABLE {
        out.push_str(&format!(
            "| {:?} | {} | {}-{} | {}-{} |\n",
            r.key, r.key as i16, r.min_advertised, r.max_advertised, r.min_served, r.max_advertised
        ));
    }
    out
}

/// The line in docs/protocol-coverage.md after which the generated table starts.
pub const COVERAGE_MARKER: &str = "<!-- generated from core/src/protocol/versions.rs -->\n";
