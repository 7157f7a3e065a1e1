//! Test-only sample data: one request per API and version with non-empty arrays at every level
//! that version has, request frames, and a small RecordBatch v2 encoder. Shared by the unit tests
//! and the mutation fuzz test (included there by path), so it uses only external crates.
//! Never compiled into the library.

#![allow(dead_code)]

use std::io::Write;

use bytes::Bytes;
use kafka_protocol::messages::create_partitions_request::{
    CreatePartitionsAssignment, CreatePartitionsTopic,
};
use kafka_protocol::messages::create_topics_request::{
    CreatableReplicaAssignment, CreatableTopic, CreatableTopicConfig,
};
use kafka_protocol::messages::delete_topics_request::DeleteTopicState;
use kafka_protocol::messages::fetch_request::{
    FetchPartition, FetchTopic, ForgottenTopic, ReplicaState,
};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

mod admin;
mod groups;
mod txn;

fn s(v: &'static str) -> StrBytes {
    StrBytes::from_static_str(v)
}

fn topic(v: &'static str) -> TopicName {
    TopicName(s(v))
}

/// A request of `key` at `version` with every array present in that version non-empty.
pub fn request(key: ApiKey, v: i16) -> RequestKind {
    match key {
        ApiKey::Produce => RequestKind::Produce(produce(v)),
        ApiKey::Fetch => RequestKind::Fetch(fetch(v)),
        ApiKey::ListOffsets => RequestKind::ListOffsets(list_offsets(v)),
        ApiKey::Metadata => RequestKind::Metadata(metadata(v)),
        ApiKey::ApiVersions => RequestKind::ApiVersions(api_versions(v)),
        ApiKey::CreateTopics => RequestKind::CreateTopics(create_topics(v)),
        ApiKey::DeleteTopics => RequestKind::DeleteTopics(delete_topics(v)),
        ApiKey::CreatePartitions => RequestKind::CreatePartitions(create_partitions(v)),
        ApiKey::FindCoordinator => RequestKind::FindCoordinator(groups::find_coordinator(v)),
        ApiKey::JoinGroup => RequestKind::JoinGroup(groups::join_group(v)),
        ApiKey::SyncGroup => RequestKind::SyncGroup(groups::sync_group(v)),
        ApiKey::Heartbeat => RequestKind::Heartbeat(groups::heartbeat(v)),
        ApiKey::LeaveGroup => RequestKind::LeaveGroup(groups::leave_group(v)),
        ApiKey::OffsetCommit => RequestKind::OffsetCommit(groups::offset_commit(v)),
        ApiKey::OffsetFetch => RequestKind::OffsetFetch(groups::offset_fetch(v)),
        ApiKey::DescribeGroups => RequestKind::DescribeGroups(groups::describe_groups(v)),
        ApiKey::ListGroups => RequestKind::ListGroups(groups::list_groups(v)),
        ApiKey::DeleteGroups => RequestKind::DeleteGroups(groups::delete_groups(v)),
        ApiKey::OffsetDelete => RequestKind::OffsetDelete(groups::offset_delete(v)),
        ApiKey::ConsumerGroupHeartbeat => {
            RequestKind::ConsumerGroupHeartbeat(groups::consumer_group_heartbeat(v))
        }
        ApiKey::ConsumerGroupDescribe => {
            RequestKind::ConsumerGroupDescribe(groups::consumer_group_describe(v))
        }
        ApiKey::DescribeConfigs => RequestKind::DescribeConfigs(admin::describe_configs(v)),
        ApiKey::AlterConfigs => RequestKind::AlterConfigs(admin::alter_configs(v)),
        ApiKey::IncrementalAlterConfigs => {
            RequestKind::IncrementalAlterConfigs(admin::incremental_alter_configs(v))
        }
        ApiKey::DescribeCluster => RequestKind::DescribeCluster(admin::describe_cluster(v)),
        ApiKey::DescribeLogDirs => RequestKind::DescribeLogDirs(admin::describe_log_dirs(v)),
        ApiKey::DescribeTopicPartitions => {
            RequestKind::DescribeTopicPartitions(admin::describe_topic_partitions(v))
        }
        ApiKey::DeleteRecords => RequestKind::DeleteRecords(admin::delete_records(v)),
        ApiKey::ElectLeaders => RequestKind::ElectLeaders(admin::elect_leaders(v)),
        ApiKey::ListPartitionReassignments => {
            RequestKind::ListPartitionReassignments(admin::list_partition_reassignments(v))
        }
        ApiKey::InitProducerId => RequestKind::InitProducerId(txn::init_producer_id(v)),
        ApiKey::AddPartitionsToTxn => {
            RequestKind::AddPartitionsToTxn(txn::add_partitions_to_txn(v))
        }
        ApiKey::AddOffsetsToTxn => RequestKind::AddOffsetsToTxn(txn::add_offsets_to_txn(v)),
        ApiKey::EndTxn => RequestKind::EndTxn(txn::end_txn(v)),
        ApiKey::TxnOffsetCommit => RequestKind::TxnOffsetCommit(txn::txn_offset_commit(v)),
        ApiKey::DescribeProducers => RequestKind::DescribeProducers(txn::describe_producers(v)),
        ApiKey::DescribeTransactions => {
            RequestKind::DescribeTransactions(txn::describe_transactions(v))
        }
        ApiKey::ListTransactions => RequestKind::ListTransactions(txn::list_transactions(v)),
        ApiKey::SaslHandshake => RequestKind::SaslHandshake(
            SaslHandshakeRequest::default()
                .with_mechanism(StrBytes::from_static_str("SCRAM-SHA-256")),
        ),
        ApiKey::SaslAuthenticate => RequestKind::SaslAuthenticate(
            SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from_static(b"n,,n=u,r=abc")),
        ),
        ApiKey::DescribeUserScramCredentials => RequestKind::DescribeUserScramCredentials(
            DescribeUserScramCredentialsRequest::default().with_users(Some(vec![
                describe_user_scram_credentials_request::UserName::default()
                    .with_name(StrBytes::from_static_str("alice")),
            ])),
        ),
        ApiKey::AlterUserScramCredentials => {
            use alter_user_scram_credentials_request::{
                ScramCredentialDeletion, ScramCredentialUpsertion,
            };
            RequestKind::AlterUserScramCredentials(
                AlterUserScramCredentialsRequest::default()
                    .with_deletions(vec![ScramCredentialDeletion::default()
                        .with_name(StrBytes::from_static_str("bob"))
                        .with_mechanism(1)])
                    .with_upsertions(vec![ScramCredentialUpsertion::default()
                        .with_name(StrBytes::from_static_str("alice"))
                        .with_mechanism(1)
                        .with_iterations(4096)
                        .with_salt(Bytes::from_static(b"salt"))
                        .with_salted_password(Bytes::from_static(&[7; 32]))]),
            )
        }
        ApiKey::DescribeAcls => RequestKind::DescribeAcls(
            DescribeAclsRequest::default()
                .with_resource_type_filter(2)
                .with_resource_name_filter(Some(StrBytes::from_static_str("orders")))
                .with_pattern_type_filter(3)
                .with_principal_filter(Some(StrBytes::from_static_str("User:alice")))
                .with_host_filter(None)
                .with_operation(1)
                .with_permission_type(1),
        ),
        ApiKey::CreateAcls => {
            RequestKind::CreateAcls(CreateAclsRequest::default().with_creations(vec![
            create_acls_request::AclCreation::default()
                .with_resource_type(2)
                .with_resource_name(StrBytes::from_static_str("orders"))
                .with_resource_pattern_type(4)
                .with_principal(StrBytes::from_static_str("User:alice"))
                .with_host(StrBytes::from_static_str("*"))
                .with_operation(3)
                .with_permission_type(3),
        ]))
        }
        ApiKey::DeleteAcls => {
            RequestKind::DeleteAcls(DeleteAclsRequest::default().with_filters(vec![
            delete_acls_request::DeleteAclsFilter::default()
                .with_resource_type_filter(1)
                .with_resource_name_filter(None)
                .with_pattern_type_filter(2)
                .with_principal_filter(Some(StrBytes::from_static_str("User:bob")))
                .with_host_filter(Some(StrBytes::from_static_str("*")))
                .with_operation(2)
                .with_permission_type(2),
        ]))
        }
        other => panic!("no sample for {other:?}"),
    }
}

/// A full request frame (without the size prefix): header for the API's header version + body.
pub fn frame(key: ApiKey, version: i16, correlation_id: i32, body: &RequestKind) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(key as i16).to_be_bytes());
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&correlation_id.to_be_bytes());
    let header_version = key.request_header_version(version);
    if header_version >= 1 {
        out.extend_from_slice(&6i16.to_be_bytes());
        out.extend_from_slice(b"sample");
    }
    if header_version >= 2 {
        out.push(0);
    }
    let mut buf = bytes::BytesMut::new();
    body.encode(&mut buf, version).expect("sample encodes");
    out.extend_from_slice(&buf);
    out
}

fn produce(_v: i16) -> ProduceRequest {
    let part = |i: i32| {
        PartitionProduceData::default()
            .with_index(i)
            .with_records(Some(Bytes::from(sample_batch(i64::from(i), (i % 5) as u8))))
    };
    let t = |name| {
        TopicProduceData::default()
            .with_name(topic(name))
            .with_partition_data(vec![part(0), part(1)])
    };
    ProduceRequest::default()
        .with_transactional_id(Some(TransactionalId(s("txn"))))
        .with_acks(-1)
        .with_timeout_ms(1500)
        .with_topic_data(vec![t("a"), t("b")])
}

fn fetch(v: i16) -> FetchRequest {
    let part = |i: i32| {
        let mut p = FetchPartition::default()
            .with_partition(i)
            .with_fetch_offset(42)
            .with_partition_max_bytes(1 << 20);
        if v >= 9 {
            p = p.with_current_leader_epoch(3);
        }
        if v >= 12 {
            p = p.with_last_fetched_epoch(2);
        }
        if v >= 5 {
            p = p.with_log_start_offset(0);
        }
        p
    };
    let t = |name, id: u128| {
        let t = FetchTopic::default().with_partitions(vec![part(0), part(1)]);
        if v >= 13 {
            t.with_topic_id(Uuid::from_u128(id))
        } else {
            t.with_topic(topic(name))
        }
    };
    let mut r = FetchRequest::default()
        .with_max_wait_ms(500)
        .with_min_bytes(1)
        .with_max_bytes(50 << 20)
        .with_isolation_level(1)
        .with_topics(vec![t("a", 1), t("b", 2)]);
    if v >= 7 {
        let f = |name, id: u128| {
            let f = ForgottenTopic::default().with_partitions(vec![4, 5]);
            if v >= 13 {
                f.with_topic_id(Uuid::from_u128(id))
            } else {
                f.with_topic(topic(name))
            }
        };
        r = r
            .with_session_id(9)
            .with_session_epoch(1)
            .with_forgotten_topics_data(vec![f("c", 3), f("d", 4)]);
    }
    if v >= 11 {
        r = r.with_rack_id(s("rack-1"));
    }
    if v >= 12 {
        r = r.with_cluster_id(Some(s("cluster-1")));
    }
    if v >= 15 {
        r = r.with_replica_state(
            ReplicaState::default()
                .with_replica_id(BrokerId(-1))
                .with_replica_epoch(-1),
        );
    }
    r
}

fn metadata(v: i16) -> MetadataRequest {
    let t = |name, id: u128| {
        let t = MetadataRequestTopic::default().with_name(Some(topic(name)));
        if v >= 10 {
            t.with_topic_id(Uuid::from_u128(id))
        } else {
            t
        }
    };
    let mut r = MetadataRequest::default().with_topics(Some(vec![t("a", 1), t("b", 2)]));
    if v >= 4 {
        r = r.with_allow_auto_topic_creation(false);
    }
    if (8..=10).contains(&v) {
        r = r.with_include_cluster_authorized_operations(true);
    }
    if v >= 8 {
        r = r.with_include_topic_authorized_operations(true);
    }
    r
}

fn list_offsets(v: i16) -> ListOffsetsRequest {
    let part = |i: i32| {
        let p = ListOffsetsPartition::default()
            .with_partition_index(i)
            .with_timestamp(-2);
        if v >= 4 {
            p.with_current_leader_epoch(5)
        } else {
            p
        }
    };
    let t = |name| {
        ListOffsetsTopic::default()
            .with_name(topic(name))
            .with_partitions(vec![part(0), part(1)])
    };
    let mut r = ListOffsetsRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_topics(vec![t("a"), t("b")]);
    if v >= 2 {
        r = r.with_isolation_level(1);
    }
    if v >= 10 {
        r = r.with_timeout_ms(100);
    }
    r
}

fn api_versions(v: i16) -> ApiVersionsRequest {
    let r = ApiVersionsRequest::default();
    if v >= 3 {
        r.with_client_software_name(s("pg-kafka-tests"))
            .with_client_software_version(s("1.0"))
    } else {
        r
    }
}

fn create_topics(_v: i16) -> CreateTopicsRequest {
    let assignment = |i: i32| {
        CreatableReplicaAssignment::default()
            .with_partition_index(i)
            .with_broker_ids(vec![BrokerId(1), BrokerId(2)])
    };
    let config = |name| {
        CreatableTopicConfig::default()
            .with_name(s(name))
            .with_value(Some(s("1")))
    };
    let t = |name| {
        CreatableTopic::default()
            .with_name(topic(name))
            .with_num_partitions(-1)
            .with_replication_factor(-1)
            .with_assignments(vec![assignment(0), assignment(1)])
            .with_configs(vec![config("retention.ms"), config("cleanup.policy")])
    };
    CreateTopicsRequest::default()
        .with_topics(vec![t("a"), t("b")])
        .with_timeout_ms(1000)
        .with_validate_only(true)
}

fn delete_topics(v: i16) -> DeleteTopicsRequest {
    let r = DeleteTopicsRequest::default().with_timeout_ms(1000);
    if v >= 6 {
        let t = |name, id: u128| {
            DeleteTopicState::default()
                .with_name(Some(topic(name)))
                .with_topic_id(Uuid::from_u128(id))
        };
        r.with_topics(vec![t("a", 1), t("b", 2)])
    } else {
        r.with_topic_names(vec![topic("a"), topic("b")])
    }
}

fn create_partitions(_v: i16) -> CreatePartitionsRequest {
    let a = |ids: Vec<i32>| {
        CreatePartitionsAssignment::default()
            .with_broker_ids(ids.into_iter().map(BrokerId).collect())
    };
    let t = |name| {
        CreatePartitionsTopic::default()
            .with_name(topic(name))
            .with_count(3)
            .with_assignments(Some(vec![a(vec![1, 2]), a(vec![3])]))
    };
    CreatePartitionsRequest::default()
        .with_topics(vec![t("a"), t("b")])
        .with_timeout_ms(1000)
        .with_validate_only(false)
}

// ---- RecordBatch v2 test encoder ----

/// A record to encode; headers keep order, duplicates and nulls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleRecord {
    pub ts_delta: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

pub fn put_varlong(out: &mut Vec<u8>, v: i64) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

fn put_nullable(out: &mut Vec<u8>, b: &Option<Vec<u8>>) {
    match b {
        Some(b) => {
            put_varlong(out, b.len() as i64);
            out.extend_from_slice(b);
        }
        None => put_varlong(out, -1),
    }
}

/// The uncompressed records section.
pub fn records_section(records: &[SampleRecord]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let mut body = vec![0u8];
        put_varlong(&mut body, r.ts_delta);
        put_varlong(&mut body, i as i64);
        put_nullable(&mut body, &r.key);
        put_nullable(&mut body, &r.value);
        put_varlong(&mut body, r.headers.len() as i64);
        for (k, v) in &r.headers {
            put_nullable(&mut body, &Some(k.clone()));
            put_nullable(&mut body, v);
        }
        put_varlong(&mut out, body.len() as i64);
        out.extend_from_slice(&body);
    }
    out
}

/// Compress a records section with codec 1..=4 (snappy: raw block).
pub fn compress(codec: u8, plain: &[u8]) -> Vec<u8> {
    match codec {
        0 => plain.to_vec(),
        1 => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(plain).unwrap();
            e.finish().unwrap()
        }
        2 => snap::raw::Encoder::new().compress_vec(plain).unwrap(),
        3 => {
            let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
            e.write_all(plain).unwrap();
            e.finish().unwrap()
        }
        4 => ruzstd::encoding::compress_to_vec(plain, ruzstd::encoding::CompressionLevel::Fastest),
        _ => panic!("codec {codec}"),
    }
}

/// Snappy in the xerial framing Java clients use, in blocks of at most `block` bytes.
pub fn xerial(plain: &[u8], block: usize) -> Vec<u8> {
    let mut out = vec![
        0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1,
    ];
    for chunk in plain.chunks(block) {
        let c = snap::raw::Encoder::new().compress_vec(chunk).unwrap();
        out.extend_from_slice(&(c.len() as i32).to_be_bytes());
        out.extend_from_slice(&c);
    }
    out
}

/// A batch around an already encoded (maybe compressed) records section, CRC computed.
pub fn batch_from_section(
    base_offset: i64,
    base_timestamp: i64,
    max_timestamp: i64,
    attributes: i16,
    count: i32,
    section: &[u8],
) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&base_offset.to_be_bytes());
    b.extend_from_slice(&((49 + section.len()) as i32).to_be_bytes());
    b.extend_from_slice(&0i32.to_be_bytes()); // partition_leader_epoch
    b.push(2);
    b.extend_from_slice(&0u32.to_be_bytes()); // crc, patched below
    b.extend_from_slice(&attributes.to_be_bytes());
    b.extend_from_slice(&(count - 1).to_be_bytes());
    b.extend_from_slice(&base_timestamp.to_be_bytes());
    b.extend_from_slice(&max_timestamp.to_be_bytes());
    b.extend_from_slice(&(-1i64).to_be_bytes()); // producer_id
    b.extend_from_slice(&(-1i16).to_be_bytes()); // producer_epoch
    b.extend_from_slice(&(-1i32).to_be_bytes()); // base_sequence
    b.extend_from_slice(&count.to_be_bytes());
    b.extend_from_slice(section);
    fix_crc(&mut b);
    b
}

/// Recompute the CRC of a single batch in place (lets mutations reach past the CRC check).
pub fn fix_crc(batch: &mut [u8]) {
    if batch.len() >= 61 {
        let crc = crc32c::crc32c(&batch[21..]);
        batch[17..21].copy_from_slice(&crc.to_be_bytes());
    }
}

pub fn sample_records() -> Vec<SampleRecord> {
    vec![
        SampleRecord {
            ts_delta: 0,
            key: Some(b"k1".to_vec()),
            value: Some(b"hello".to_vec()),
            headers: vec![
                (b"h".to_vec(), Some(b"1".to_vec())),
                (b"h".to_vec(), None),
                (b"a".to_vec(), Some(Vec::new())),
            ],
        },
        SampleRecord {
            ts_delta: 7,
            key: None,
            value: None,
            headers: vec![],
        },
        SampleRecord {
            ts_delta: 3,
            key: Some(Vec::new()),
            value: Some(vec![0xab; 300]),
            headers: vec![(b"z".to_vec(), Some(b"last".to_vec()))],
        },
    ]
}

/// A valid batch of the sample records with `codec` (0..=4).
pub fn sample_batch(base_offset: i64, codec: u8) -> Vec<u8> {
    let records = sample_records();
    let section = compress(codec, &records_section(&records));
    batch_from_section(
        base_offset,
        1_700_000_000_000,
        1_700_000_000_007,
        i16::from(codec),
        records.len() as i32,
        &section,
    )
}
