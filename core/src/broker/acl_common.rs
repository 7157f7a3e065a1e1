//! Authorization as the handlers use it: who a request comes from, the checks, the error each
//! resource type answers, and the gate that refuses a whole request before its handler runs.
//!
//! The gate covers the APIs that name resources but filter nothing: if any resource a request
//! names is denied, the whole request is refused through the API's `refuse`, every entry with the
//! error of the first denied resource's type (TOPIC_, GROUP_, CLUSTER_ or
//! TRANSACTIONAL_ID_AUTHORIZATION_FAILED). Produce, Metadata, CreateTopics, DeleteTopics,
//! ListGroups and the ACL APIs check in their handlers instead, per resource or by filtering.
//! The installed ACL state is read from the store at start and every second ([`refresh`]).

use kafka_protocol::messages::RequestKind;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use tokio::sync::oneshot;

use super::{Call, Ctx};
use crate::acl::{Operation, Principal, ResourceType, CLUSTER_NAME};
use crate::error::KafkaError;
use crate::writer::{Command, ReadQuery};

use Operation::*;
use ResourceType::*;

/// How often the ACL state is read again, so SQL changes apply within this.
pub const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Read the ACL state through the writer and install it.
pub async fn refresh(ctx: &Ctx) -> Result<(), KafkaError> {
    let asked = std::time::Instant::now();
    let (tx, rx) = oneshot::channel();
    let unavailable = || KafkaError::coordinator_unavailable();
    ctx.bridge
        .send(Command::Read(ReadQuery::Acls { reply: tx }))
        .await
        .map_err(|_| unavailable())?;
    let state = rx
        .await
        .map_err(|_| unavailable())?
        .map_err(|_| KafkaError::storage())?;
    ctx.authz.install(state, asked);
    Ok(())
}

/// After a login that began at `started`: make sure the installed state was read after it, so
/// a role created or granted membership just before logging in is decided as it now is, not as
/// it was up to a second ago. Logins at the same time share one read.
pub async fn follow_login(ctx: &Ctx, started: std::time::Instant) {
    if !ctx.authz.enabled() {
        return;
    }
    if let Some(_reading) = ctx.authz.begin_read(started).await {
        let _ = refresh(ctx).await;
    }
}

/// Read the ACL state every [`REFRESH_EVERY`] until `stop`; a failed read keeps the last state.
pub async fn refresh_loop(ctx: std::sync::Arc<Ctx>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut warned = false;
    loop {
        match refresh(&ctx).await {
            Ok(()) => warned = false,
            Err(e) if !warned => {
                eprintln!("pg_kafka: cannot read the ACLs ({e}); keeping the ones read before");
                warned = true;
            }
            Err(_) => {}
        }
        tokio::select! {
            _ = tokio::time::sleep(REFRESH_EVERY) => {}
            _ = stop.changed() => return,
        }
    }
}

/// The principal of a call: its login's role (none: ANONYMOUS) and its address.
pub(super) fn principal(c: &Call<'_>) -> Principal {
    Principal {
        user: c.client.session.principal().map(|p| p.user),
        host: c.client.ip.map(|ip| ip.to_string()).unwrap_or_default(),
    }
}

/// May the caller do `op` on `name` of type `t`?
pub(super) fn allowed(c: &Call<'_>, op: Operation, t: ResourceType, name: &str) -> bool {
    // The principal is built only when it is needed (Produce asks once per topic).
    !c.ctx.authz.enabled() || allowed_as(c.ctx, &principal(c), op, t, name)
}

/// [`allowed`] for a principal taken earlier (a reply that runs after its call).
pub(super) fn allowed_as(
    ctx: &Ctx,
    who: &Principal,
    op: Operation,
    t: ResourceType,
    name: &str,
) -> bool {
    !ctx.authz.enabled() || ctx.authz.allowed(who, op, t, name)
}

/// Kafka's authorized_operations for `name` of type `t` (every operation of the type when
/// authorization is off).
pub(super) fn operations_as(ctx: &Ctx, who: &Principal, t: ResourceType, name: &str) -> i32 {
    if !ctx.authz.enabled() {
        return t
            .operations()
            .iter()
            .fold(0, |bits, op| bits | 1 << op.code());
    }
    ctx.authz.operations(who, t, name)
}

/// [`operations_as`] for the caller.
pub(super) fn operations(c: &Call<'_>, t: ResourceType, name: &str) -> i32 {
    operations_as(c.ctx, &principal(c), t, name)
}

/// The error a denial on a resource of type `t` answers.
pub(super) fn denied(t: ResourceType) -> KafkaError {
    KafkaError::new(match t {
        Topic => ResponseError::TopicAuthorizationFailed,
        Group => ResponseError::GroupAuthorizationFailed,
        TransactionalId => ResponseError::TransactionalIdAuthorizationFailed,
        Cluster | ResourceType::Any => ResponseError::ClusterAuthorizationFailed,
    })
}

/// May the caller create the topic `name`: CREATE on the cluster or on the topic?
pub(super) fn may_create(c: &Call<'_>, name: &str) -> bool {
    !c.ctx.authz.enabled() || may_create_as(c.ctx, &principal(c), name)
}

/// [`may_create`] for a principal taken earlier.
pub(super) fn may_create_as(ctx: &Ctx, who: &Principal, name: &str) -> bool {
    allowed_as(ctx, who, Create, Cluster, CLUSTER_NAME) || allowed_as(ctx, who, Create, Topic, name)
}

/// May the caller write as an idempotent producer: IDEMPOTENT_WRITE on the cluster, or WRITE on
/// some topic (Kafka 3's rule)?
pub(super) fn idempotent_allowed(c: &Call<'_>) -> bool {
    let a = &c.ctx.authz;
    !a.enabled()
        || allowed(c, IdempotentWrite, Cluster, CLUSTER_NAME)
        || a.allowed_on_any(&principal(c), Write, Topic)
}

/// The name of a topic given by name, or by id when the name is empty.
fn topic_of(ctx: &Ctx, name: &str, id: &uuid::Uuid) -> Option<String> {
    if !name.is_empty() {
        return Some(name.to_owned());
    }
    ctx.registry.get_by_id(id).map(|t| t.name.clone())
}

/// `op` on each config resource (type code, name): topics are topics, groups groups, the rest
/// (brokers, loggers) the cluster.
fn configs<'a>(
    op: Operation,
    resources: impl Iterator<Item = (i8, &'a StrBytes)>,
) -> Vec<(Operation, ResourceType, String)> {
    resources
        .map(|(resource_type, name)| match resource_type {
            2 => (op, Topic, name.to_string()),
            32 => (op, Group, name.to_string()),
            _ => (op, Cluster, CLUSTER_NAME.to_owned()),
        })
        .collect()
}

/// What a request needs, for the APIs the gate covers: (operation, type, name) triples.
fn needs(ctx: &Ctx, req: &RequestKind) -> Vec<(Operation, ResourceType, String)> {
    let topic = |op, n: &str| (op, Topic, n.to_owned());
    let group = |op, n: &str| (op, Group, n.to_owned());
    let txn = |op, n: &str| (op, TransactionalId, n.to_owned());
    let cluster = |op| (op, Cluster, CLUSTER_NAME.to_owned());
    match req {
        RequestKind::Fetch(r) => r
            .topics
            .iter()
            .filter_map(|t| topic_of(ctx, &t.topic, &t.topic_id))
            .map(|n| topic(Read, &n))
            .collect(),
        RequestKind::ListOffsets(r) => r.topics.iter().map(|t| topic(Describe, &t.name)).collect(),
        RequestKind::OffsetCommit(r) => std::iter::once(group(Read, &r.group_id))
            .chain(
                r.topics
                    .iter()
                    .filter_map(|t| topic_of(ctx, &t.name, &t.topic_id))
                    .map(|n| topic(Read, &n)),
            )
            .collect(),
        RequestKind::OffsetFetch(r) => {
            let mut out = Vec::new();
            if !r.group_id.is_empty() {
                out.push(group(Describe, &r.group_id));
            }
            for t in r.topics.iter().flatten() {
                out.push(topic(Describe, &t.name));
            }
            for g in &r.groups {
                out.push(group(Describe, &g.group_id));
                for t in g.topics.iter().flatten() {
                    if let Some(n) = topic_of(ctx, &t.name, &t.topic_id) {
                        out.push(topic(Describe, &n));
                    }
                }
            }
            out
        }
        RequestKind::FindCoordinator(r) => {
            let make = |k: &str| match r.key_type {
                1 => txn(Describe, k),
                _ => group(Describe, k),
            };
            let mut out: Vec<_> = r.coordinator_keys.iter().map(|k| make(k)).collect();
            if r.coordinator_keys.is_empty() {
                out.push(make(&r.key));
            }
            out
        }
        RequestKind::JoinGroup(r) => vec![group(Read, &r.group_id)],
        RequestKind::Heartbeat(r) => vec![group(Read, &r.group_id)],
        RequestKind::LeaveGroup(r) => vec![group(Read, &r.group_id)],
        RequestKind::SyncGroup(r) => vec![group(Read, &r.group_id)],
        RequestKind::DescribeGroups(r) => r.groups.iter().map(|g| group(Describe, g)).collect(),
        RequestKind::DeleteRecords(r) => r.topics.iter().map(|t| topic(Delete, &t.name)).collect(),
        RequestKind::InitProducerId(r) => match &r.transactional_id {
            Some(id) => vec![txn(Write, id)],
            None => vec![],
        },
        RequestKind::AddPartitionsToTxn(r) => {
            let mut out: Vec<_> = r
                .v3_and_below_topics
                .iter()
                .map(|t| topic(Write, &t.name))
                .collect();
            if !r.v3_and_below_transactional_id.is_empty() {
                out.push(txn(Write, &r.v3_and_below_transactional_id));
            }
            for t in &r.transactions {
                if !t.verify_only {
                    out.push(txn(Write, &t.transactional_id));
                }
                out.extend(t.topics.iter().map(|x| topic(Write, &x.name)));
            }
            if !r.transactions.is_empty() {
                out.push(cluster(ClusterAction));
            }
            out
        }
        RequestKind::AddOffsetsToTxn(r) => {
            vec![txn(Write, &r.transactional_id), group(Read, &r.group_id)]
        }
        RequestKind::EndTxn(r) => vec![txn(Write, &r.transactional_id)],
        RequestKind::TxnOffsetCommit(r) => {
            let mut out = vec![txn(Write, &r.transactional_id), group(Read, &r.group_id)];
            out.extend(r.topics.iter().map(|t| topic(Read, &t.name)));
            out
        }
        RequestKind::DescribeConfigs(r) => configs(
            DescribeConfigs,
            r.resources
                .iter()
                .map(|x| (x.resource_type, &x.resource_name)),
        ),
        RequestKind::AlterConfigs(r) => configs(
            AlterConfigs,
            r.resources
                .iter()
                .map(|x| (x.resource_type, &x.resource_name)),
        ),
        RequestKind::IncrementalAlterConfigs(r) => configs(
            AlterConfigs,
            r.resources
                .iter()
                .map(|x| (x.resource_type, &x.resource_name)),
        ),
        RequestKind::DescribeLogDirs(_) => vec![cluster(Describe)],
        RequestKind::CreatePartitions(r) => {
            r.topics.iter().map(|t| topic(Alter, &t.name)).collect()
        }
        RequestKind::DeleteGroups(r) => r.groups_names.iter().map(|g| group(Delete, g)).collect(),
        RequestKind::ElectLeaders(_) => vec![cluster(Alter)],
        RequestKind::ListPartitionReassignments(_) => vec![cluster(Describe)],
        RequestKind::OffsetDelete(r) => std::iter::once(group(Delete, &r.group_id))
            .chain(r.topics.iter().map(|t| topic(Read, &t.name)))
            .collect(),
        RequestKind::DescribeProducers(r) => {
            r.topics.iter().map(|t| topic(Read, &t.name)).collect()
        }
        RequestKind::DescribeTransactions(r) => r
            .transactional_ids
            .iter()
            .map(|t| txn(Describe, t))
            .collect(),
        RequestKind::ListTransactions(_) => vec![cluster(Describe)],
        RequestKind::ConsumerGroupHeartbeat(r) => vec![group(Read, &r.group_id)],
        RequestKind::ConsumerGroupDescribe(r) => {
            r.group_ids.iter().map(|g| group(Describe, g)).collect()
        }
        RequestKind::DescribeTopicPartitions(r) => {
            r.topics.iter().map(|t| topic(Describe, &t.name)).collect()
        }
        _ => vec![],
    }
}

/// The error that refuses `req` whole, if the caller is denied something it names.
pub(super) fn gate(c: &Call<'_>, req: &RequestKind) -> Option<KafkaError> {
    if !c.ctx.authz.enabled() {
        return None;
    }
    if let RequestKind::InitProducerId(r) = req {
        if r.transactional_id.is_none() && !idempotent_allowed(c) {
            return Some(denied(Cluster));
        }
    }
    needs(c.ctx, req)
        .into_iter()
        .find(|(op, t, n)| !allowed(c, *op, *t, n))
        .map(|(_, t, _)| denied(t))
}
