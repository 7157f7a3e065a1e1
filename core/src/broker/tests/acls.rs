//! Authorization through the handlers: per-topic errors, Metadata filtering, authorized
//! operations, the gate's whole-request refusals, and the ACL APIs against the store.

use std::sync::Arc;

use kafka_protocol::messages::create_acls_request::AclCreation;
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::delete_acls_request::DeleteAclsFilter;
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::produce_fetch::{fetch_req, produce_req};
use super::testkit::{batch, harness_with, Harness};
use crate::acl::{AclBinding, Operation, PatternType, Permission, ResourceType};
use crate::auth::{Principal, Session};
use crate::broker::acl_common::refresh;
use crate::broker::{dispatch, str_bytes, topic_name, Call, Client};
use crate::config::BrokerConfig;

/// A broker that checks ACLs; PLAINTEXT callers (the harness's own) are super users.
fn secured() -> Harness {
    let config = BrokerConfig {
        authorization: true,
        super_users: vec!["User:ANONYMOUS".into()],
        ..BrokerConfig::default()
    };
    harness_with(config, 1 << 20)
}

/// Calls as the role `user`, logged in from 10.0.0.7.
struct As<'a> {
    h: &'a Harness,
    client: Client,
}

impl<'a> As<'a> {
    fn new(h: &'a Harness, user: &str) -> Self {
        let session = Arc::new(Session::new(false));
        session.set_principal(Principal {
            user: user.into(),
            superuser: false,
        });
        As {
            h,
            client: Client {
                session,
                ip: Some("10.0.0.7".parse().unwrap()),
                ..Client::default()
            },
        }
    }

    async fn call(&self, version: i16, req: impl Into<RequestKind>) -> ResponseKind {
        let call = Call {
            ctx: &self.h.ctx,
            client: &self.client,
            version,
        };
        dispatch(call, req.into()).await.unwrap().await.unwrap()
    }
}

fn binding(
    t: ResourceType,
    name: &str,
    pattern: PatternType,
    who: &str,
    op: Operation,
) -> AclBinding {
    AclBinding {
        resource_type: t,
        name: name.into(),
        pattern,
        principal: format!("User:{who}"),
        host: "*".into(),
        operation: op,
        permission: Permission::Allow,
    }
}

/// Store `bindings` and install the state, as the refresh every second would.
async fn grant(h: &Harness, bindings: &[AclBinding]) {
    {
        let mut store = h.store.lock().unwrap();
        for b in bindings {
            store.acls.insert(b.clone(), "test".into());
        }
    }
    refresh(&h.ctx).await.unwrap();
}

async fn create_topic(h: &Harness, name: &str) {
    let mut t = CreatableTopic::default();
    t.name = topic_name(name);
    t.num_partitions = 1;
    t.replication_factor = 1;
    let r = CreateTopicsRequest::default().with_topics(vec![t]);
    match h.call(5, r).await {
        Some(ResponseKind::CreateTopics(r)) => assert_eq!(r.topics[0].error_code, 0),
        other => panic!("{other:?}"),
    }
}

fn by_name(name: &str) -> MetadataRequestTopic {
    MetadataRequestTopic::default().with_name(Some(topic_name(name)))
}

const DENIED_TOPIC: i16 = ResponseError::TopicAuthorizationFailed.code();

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_answers_each_topic_by_its_acl() {
    let h = secured();
    create_topic(&h, "open").await;
    create_topic(&h, "closed").await;
    grant(
        &h,
        &[binding(
            ResourceType::Topic,
            "open",
            PatternType::Literal,
            "bob",
            Operation::Write,
        )],
    )
    .await;
    let mut req = produce_req(-1, "open", 0, Some(batch(&[(0, b"a")])));
    req.topic_data
        .extend(produce_req(-1, "closed", 0, Some(batch(&[(0, b"b")]))).topic_data);
    let ResponseKind::Produce(r) = As::new(&h, "bob").call(9, req).await else {
        panic!()
    };
    let codes: Vec<(String, i16)> = r
        .responses
        .iter()
        .map(|t| (t.name.to_string(), t.partition_responses[0].error_code))
        .collect();
    assert_eq!(
        codes,
        vec![("open".into(), 0), ("closed".into(), DENIED_TOPIC)]
    );
    assert_eq!(
        h.ctx.registry.get("closed").unwrap().partitions[0].high_watermark(),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_to_a_denied_unknown_topic_does_not_create_it() {
    let h = secured();
    grant(&h, &[]).await;
    let req = produce_req(-1, "new-one", 0, Some(batch(&[(0, b"a")])));
    let ResponseKind::Produce(r) = As::new(&h, "bob").call(9, req).await else {
        panic!()
    };
    assert_eq!(
        r.responses[0].partition_responses[0].error_code,
        DENIED_TOPIC
    );
    assert!(h.ctx.registry.get("new-one").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_lists_and_answers_only_what_may_be_described() {
    let h = secured();
    for t in ["seen", "hidden"] {
        create_topic(&h, t).await;
    }
    grant(
        &h,
        &[binding(
            ResourceType::Topic,
            "seen",
            PatternType::Literal,
            "bob",
            Operation::Read,
        )],
    )
    .await;
    let bob = As::new(&h, "bob");
    let all = MetadataRequest::default()
        .with_topics(None)
        .with_include_topic_authorized_operations(true);
    let ResponseKind::Metadata(m) = bob.call(9, all).await else {
        panic!()
    };
    let names: Vec<String> = m
        .topics
        .iter()
        .map(|t| t.name.as_ref().unwrap().to_string())
        .collect();
    assert_eq!(names, vec!["seen".to_string()]);
    let read_and_describe = 1 << Operation::Read.code() | 1 << Operation::Describe.code();
    assert_eq!(m.topics[0].topic_authorized_operations, read_and_describe);
    let named =
        MetadataRequest::default().with_topics(Some(vec![by_name("hidden"), by_name("absent")]));
    let ResponseKind::Metadata(m) = bob.call(9, named).await else {
        panic!()
    };
    assert_eq!(m.topics[0].error_code, DENIED_TOPIC);
    assert_eq!(
        m.topics[1].error_code, DENIED_TOPIC,
        "no hint whether a denied topic exists"
    );
    assert!(h.ctx.registry.get("absent").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_refuses_a_fetch_that_names_a_denied_topic() {
    let h = secured();
    create_topic(&h, "t").await;
    grant(
        &h,
        &[binding(
            ResourceType::Topic,
            "t",
            PatternType::Literal,
            "bob",
            Operation::Describe,
        )],
    )
    .await;
    let id = h.ctx.registry.get("t").unwrap().id;
    let ResponseKind::Fetch(r) = As::new(&h, "bob")
        .call(12, fetch_req("t", id, 0, 0, 0))
        .await
    else {
        panic!()
    };
    assert_eq!(r.responses[0].partitions[0].error_code, DENIED_TOPIC);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_needs_read_to_be_joined() {
    let h = secured();
    grant(&h, &[]).await;
    let req = JoinGroupRequest::default()
        .with_group_id(GroupId(str_bytes("g")))
        .with_protocol_type(str_bytes("consumer"))
        .with_session_timeout_ms(10_000);
    let ResponseKind::JoinGroup(r) = As::new(&h, "bob").call(5, req).await else {
        panic!()
    };
    assert_eq!(r.error_code, ResponseError::GroupAuthorizationFailed.code());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_topics_needs_create_on_the_cluster_or_the_topic() {
    let h = secured();
    grant(
        &h,
        &[binding(
            ResourceType::Topic,
            "mine.",
            PatternType::Prefixed,
            "bob",
            Operation::Create,
        )],
    )
    .await;
    let topic = |n: &str| {
        let mut t = CreatableTopic::default();
        t.name = topic_name(n);
        t.num_partitions = 1;
        t.replication_factor = 1;
        t
    };
    let req = CreateTopicsRequest::default().with_topics(vec![topic("mine.a"), topic("theirs")]);
    let ResponseKind::CreateTopics(r) = As::new(&h, "bob").call(5, req).await else {
        panic!()
    };
    assert_eq!(r.topics[0].error_code, 0);
    assert_eq!(r.topics[1].error_code, DENIED_TOPIC);
    assert!(h.ctx.registry.get("theirs").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_topics_needs_delete_on_each() {
    let h = secured();
    for t in ["a", "b"] {
        create_topic(&h, t).await;
    }
    grant(
        &h,
        &[binding(
            ResourceType::Topic,
            "a",
            PatternType::Literal,
            "bob",
            Operation::Delete,
        )],
    )
    .await;
    let req =
        DeleteTopicsRequest::default().with_topic_names(vec![topic_name("a"), topic_name("b")]);
    let ResponseKind::DeleteTopics(r) = As::new(&h, "bob").call(5, req).await else {
        panic!()
    };
    let codes: Vec<i16> = r.responses.iter().map(|t| t.error_code).collect();
    assert_eq!(codes, vec![0, DENIED_TOPIC]);
    assert!(h.ctx.registry.get("a").is_none() && h.ctx.registry.get("b").is_some());
}

fn creation(name: &str, who: &str, op: Operation) -> AclCreation {
    AclCreation::default()
        .with_resource_type(ResourceType::Topic.code())
        .with_resource_name(StrBytes::from_string(name.into()))
        .with_resource_pattern_type(PatternType::Literal.code())
        .with_principal(StrBytes::from_string(format!("User:{who}")))
        .with_host(StrBytes::from_static_str("*"))
        .with_operation(op.code())
        .with_permission_type(Permission::Allow.code())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acl_apis_store_describe_and_delete_and_apply_at_once() {
    let h = secured();
    create_topic(&h, "t").await;
    grant(&h, &[]).await;
    let bob = As::new(&h, "bob");
    let req =
        CreateAclsRequest::default().with_creations(vec![creation("t", "bob", Operation::Write)]);
    let ResponseKind::CreateAcls(r) = bob.call(2, req.clone()).await else {
        panic!()
    };
    assert_eq!(
        r.results[0].error_code,
        ResponseError::ClusterAuthorizationFailed.code()
    );
    assert!(h.store.lock().unwrap().acls.is_empty());

    // A super user creates it; bob may write at once, and the creator is recorded.
    let ResponseKind::CreateAcls(r) = h.call(2, req).await.unwrap() else {
        panic!()
    };
    assert_eq!(r.results[0].error_code, 0);
    assert_eq!(
        h.store.lock().unwrap().acls.values().next().unwrap(),
        "User:ANONYMOUS"
    );
    let ResponseKind::Produce(p) = bob
        .call(9, produce_req(-1, "t", 0, Some(batch(&[(0, b"a")]))))
        .await
    else {
        panic!()
    };
    assert_eq!(p.responses[0].partition_responses[0].error_code, 0);

    let describe = DescribeAclsRequest::default()
        .with_resource_name_filter(None)
        .with_principal_filter(None)
        .with_host_filter(None)
        .with_resource_type_filter(ResourceType::Any.code())
        .with_pattern_type_filter(PatternType::Any.code())
        .with_operation(Operation::Any.code())
        .with_permission_type(Permission::Any.code());
    let ResponseKind::DescribeAcls(d) = h.call(2, describe.clone()).await.unwrap() else {
        panic!()
    };
    assert_eq!(d.error_code, 0);
    assert_eq!(d.resources.len(), 1);
    assert_eq!(d.resources[0].resource_name.as_str(), "t");
    assert_eq!(d.resources[0].acls[0].principal.as_str(), "User:bob");
    let ResponseKind::DescribeAcls(d) = bob.call(2, describe).await else {
        panic!()
    };
    assert_eq!(
        d.error_code,
        ResponseError::ClusterAuthorizationFailed.code()
    );
    assert!(d.resources.is_empty());

    let filter = DeleteAclsFilter::default()
        .with_principal_filter(None)
        .with_host_filter(None)
        .with_resource_type_filter(ResourceType::Topic.code())
        .with_resource_name_filter(Some(StrBytes::from_static_str("t")))
        .with_pattern_type_filter(PatternType::Match.code())
        .with_operation(Operation::Any.code())
        .with_permission_type(Permission::Any.code());
    let bad = filter.clone().with_operation(0);
    let req = DeleteAclsRequest::default().with_filters(vec![bad, filter]);
    let ResponseKind::DeleteAcls(r) = h.call(2, req).await.unwrap() else {
        panic!()
    };
    assert_eq!(
        r.filter_results[0].error_code,
        ResponseError::InvalidRequest.code()
    );
    assert_eq!(r.filter_results[1].error_code, 0);
    assert_eq!(r.filter_results[1].matching_acls.len(), 1);
    assert!(h.store.lock().unwrap().acls.is_empty());
    let ResponseKind::Produce(p) = bob
        .call(9, produce_req(-1, "t", 0, Some(batch(&[(0, b"a")]))))
        .await
    else {
        panic!()
    };
    assert_eq!(
        p.responses[0].partition_responses[0].error_code,
        DENIED_TOPIC
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acl_apis_are_security_disabled_without_authorization() {
    let h = harness_with(BrokerConfig::default(), 1 << 20);
    let req =
        CreateAclsRequest::default().with_creations(vec![creation("t", "bob", Operation::Read)]);
    let ResponseKind::CreateAcls(r) = h.call(2, req).await.unwrap() else {
        panic!()
    };
    assert_eq!(
        r.results[0].error_code,
        ResponseError::SecurityDisabled.code()
    );
    assert!(h.store.lock().unwrap().acls.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn membership_in_a_role_grants_its_acls() {
    let h = secured();
    create_topic(&h, "reports").await;
    h.store
        .lock()
        .unwrap()
        .memberships
        .insert("alice".into(), vec!["analysts".into()]);
    grant(
        &h,
        &[binding(
            ResourceType::Topic,
            "reports",
            PatternType::Literal,
            "analysts",
            Operation::Write,
        )],
    )
    .await;
    let req = || produce_req(-1, "reports", 0, Some(batch(&[(0, b"a")])));
    let ResponseKind::Produce(p) = As::new(&h, "alice").call(9, req()).await else {
        panic!()
    };
    assert_eq!(p.responses[0].partition_responses[0].error_code, 0);
    let ResponseKind::Produce(p) = As::new(&h, "bob").call(9, req()).await else {
        panic!()
    };
    assert_eq!(
        p.responses[0].partition_responses[0].error_code,
        DENIED_TOPIC
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_groups_shows_only_describable_groups() {
    let h = secured();
    grant(
        &h,
        &[binding(
            ResourceType::Group,
            "g-",
            PatternType::Prefixed,
            "bob",
            Operation::Read,
        )],
    )
    .await;
    for g in ["g-1", "other"] {
        let req = JoinGroupRequest::default()
            .with_group_id(GroupId(str_bytes(g)))
            .with_protocol_type(str_bytes("consumer"))
            .with_session_timeout_ms(10_000)
            .with_member_id(str_bytes(""));
        let _ = h.call(3, req).await;
    }
    let ResponseKind::ListGroups(r) = As::new(&h, "bob")
        .call(4, ListGroupsRequest::default())
        .await
    else {
        panic!()
    };
    let ids: Vec<String> = r.groups.iter().map(|g| g.group_id.to_string()).collect();
    assert_eq!(ids, vec!["g-1".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offset_fetch_of_all_topics_leaves_out_what_may_not_be_described() {
    use kafka_protocol::messages::offset_commit_request::{
        OffsetCommitRequestPartition, OffsetCommitRequestTopic,
    };
    let h = secured();
    for t in ["seen", "hidden"] {
        create_topic(&h, t).await;
    }
    let topics = ["seen", "hidden"]
        .iter()
        .map(|t| {
            OffsetCommitRequestTopic::default()
                .with_name(topic_name(t))
                .with_partitions(vec![OffsetCommitRequestPartition::default()
                    .with_partition_index(0)
                    .with_committed_offset(0)])
        })
        .collect();
    let commit = OffsetCommitRequest::default()
        .with_group_id(GroupId(str_bytes("g")))
        .with_generation_id_or_member_epoch(-1)
        .with_topics(topics);
    let Some(ResponseKind::OffsetCommit(r)) = h.call(8, commit).await else {
        panic!()
    };
    assert!(r.topics.iter().all(|t| t.partitions[0].error_code == 0));
    grant(
        &h,
        &[
            binding(
                ResourceType::Group,
                "g",
                PatternType::Literal,
                "bob",
                Operation::Describe,
            ),
            binding(
                ResourceType::Topic,
                "seen",
                PatternType::Literal,
                "bob",
                Operation::Describe,
            ),
        ],
    )
    .await;
    let fetch = OffsetFetchRequest::default()
        .with_group_id(GroupId(str_bytes("g")))
        .with_topics(None);
    let ResponseKind::OffsetFetch(r) = As::new(&h, "bob").call(7, fetch).await else {
        panic!()
    };
    let names: Vec<String> = r.topics.iter().map(|t| t.name.to_string()).collect();
    assert_eq!(names, vec!["seen".to_string()]);
}

/// The audit rows, once the writer has appended `n` of them.
async fn audit_rows(h: &Harness, n: usize) -> Vec<crate::store::AuditRow> {
    for _ in 0..200 {
        let rows = h.store.lock().unwrap().audit.clone();
        if rows.len() >= n {
            return rows;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    panic!(
        "fewer than {n} audit rows: {:?}",
        h.store.lock().unwrap().audit
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_requests_are_audited_with_their_outcome_refusals_included() {
    let h = secured();
    create_topic(&h, "kept").await;
    grant(&h, &[]).await;
    let req = DeleteTopicsRequest::default().with_topic_names(vec![topic_name("kept")]);
    let ResponseKind::DeleteTopics(r) = As::new(&h, "bob").call(5, req).await else {
        panic!()
    };
    assert_eq!(r.responses[0].error_code, DENIED_TOPIC);
    let rows = audit_rows(&h, 2).await;
    let seen: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r.principal.as_str(),
                r.action.as_str(),
                r.resource_name.as_str(),
                r.outcome.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("User:ANONYMOUS", "CreateTopics", "kept", "OK"),
            (
                "User:bob",
                "DeleteTopics",
                "kept",
                "TOPIC_AUTHORIZATION_FAILED"
            ),
        ]
    );
    assert_eq!(rows[1].client_address, "10.0.0.7");
    assert_eq!(rows[1].resource_type, "TOPIC");
    let detail: serde_json::Value = serde_json::from_str(&rows[0].detail).unwrap();
    assert_eq!(detail["partitions"], 1);
    // Reads are not audited.
    let _ = h
        .call(9, MetadataRequest::default().with_topics(None))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(h.store.lock().unwrap().audit.len(), 2);
}
