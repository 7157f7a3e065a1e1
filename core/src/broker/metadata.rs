//! Metadata (v0-12): this broker as the only node, leader of every partition, and the topics
//! asked for (all of them when the request names none).
//!
//! Unknown topics named by the request are created through the writer when auto-creation is on
//! and the request allows it; topics asked for by id are never created.

use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{BrokerId, MetadataRequest, MetadataResponse, ResponseKind};
use kafka_protocol::ResponseError;
use uuid::Uuid;

use super::acl_common::{allowed_as, denied, may_create_as, operations_as, principal};
use super::topics::ensure_topics;
use std::collections::HashMap;

use super::{dedup_by, str_bytes, topic_name, Call, Ctx, Reply};
use crate::acl::{Operation, Principal, ResourceType, CLUSTER_NAME};
use crate::error::KafkaError;
use crate::log::Topic;

/// One requested topic, by name or (v10+, name null) by id.
enum Wanted {
    Name(String),
    Id(Uuid),
}

pub(super) async fn handle(c: &Call<'_>, req: MetadataRequest) -> Reply {
    let (ctx, version) = (c.ctx.clone(), c.version);
    let listener = c.client.listener;
    let who = principal(c);
    Box::pin(async move {
        Some(ResponseKind::Metadata(
            metadata(&ctx, &who, listener, version, req).await,
        ))
    })
}

async fn metadata(
    ctx: &Ctx,
    who: &Principal,
    listener: usize,
    version: i16,
    req: MetadataRequest,
) -> MetadataResponse {
    let describable = |name: &str| allowed_as(ctx, who, Operation::Describe, ResourceType::Topic, name);
    let with_operations = version >= 8 && req.include_topic_authorized_operations;
    let found = |t: &Topic| {
        let mut out = found(ctx, version, t);
        if with_operations {
            out.topic_authorized_operations = operations_as(ctx, who, ResourceType::Topic, &t.name);
        }
        out
    };
    let refused = |name: Option<&str>| missing(version, &denied(ResourceType::Topic), name);
    let at = ctx.config.listener(listener);
    let node = BrokerId(ctx.config.node_id);
    let mut resp = MetadataResponse::default();
    let mut broker = MetadataResponseBroker::default();
    broker.node_id = node;
    broker.host = str_bytes(&at.advertised_host);
    broker.port = i32::from(at.advertised_port);
    resp.brokers = vec![broker];
    if version >= 1 {
        resp.controller_id = node;
    }
    if version >= 2 {
        resp.cluster_id = Some(str_bytes(&ctx.config.cluster_id));
    }
    if (8..=10).contains(&version) && req.include_cluster_authorized_operations {
        resp.cluster_authorized_operations =
            operations_as(ctx, who, ResourceType::Cluster, CLUSTER_NAME);
    }

    let requested = match req.topics {
        Some(t) if !(version == 0 && t.is_empty()) => t,
        _ => {
            resp.topics = ctx
                .registry
                .all()
                .iter()
                .filter(|t| describable(&t.name))
                .map(|t| found(t))
                .collect();
            return resp;
        }
    };
    let wanted: Vec<Wanted> = requested
        .into_iter()
        .map(|t| match t.name {
            // A null name (or an empty one next to an id) asks by id.
            Some(n) if !n.0.is_empty() || t.topic_id.is_nil() => Wanted::Name(n.0.to_string()),
            _ => Wanted::Id(t.topic_id),
        })
        .collect();
    let wanted = dedup_by(wanted, |w| match w {
        Wanted::Name(n) => (n.clone(), Uuid::nil()),
        Wanted::Id(id) => (String::new(), *id),
    });

    let auto_create =
        ctx.config.auto_create_topics && (version < 4 || req.allow_auto_topic_creation);
    let created = if auto_create {
        let names: Vec<String> = wanted
            .iter()
            .filter_map(|w| match w {
                Wanted::Name(n)
                    if ctx.registry.get(n).is_none()
                        && describable(n)
                        && may_create_as(ctx, who, n) =>
                {
                    Some(n.clone())
                }
                _ => None,
            })
            .collect();
        let results = ensure_topics(ctx, &names).await;
        names.into_iter().zip(results).collect()
    } else {
        HashMap::new()
    };

    resp.topics = wanted
        .into_iter()
        .map(|w| match w {
            Wanted::Id(id) => match ctx.registry.get_by_id(&id) {
                Some(t) if !describable(&t.name) => {
                    let mut e = refused(None);
                    e.topic_id = id;
                    e
                }
                Some(t) => found(&t),
                None => {
                    let mut e = missing(version, &ResponseError::UnknownTopicId.into(), None);
                    e.topic_id = id;
                    e
                }
            },
            Wanted::Name(name) if !describable(&name) => refused(Some(&name)),
            Wanted::Name(name) => {
                let outcome = match created.get(&name) {
                    Some(r) => r.clone(),
                    None => ctx
                        .registry
                        .get(&name)
                        .ok_or(ResponseError::UnknownTopicOrPartition.into()),
                };
                match outcome {
                    Ok(t) => found(&t),
                    Err(e) => missing(version, &e, Some(&name)),
                }
            }
        })
        .collect();
    resp
}

fn found(ctx: &Ctx, version: i16, t: &Topic) -> MetadataResponseTopic {
    let node = BrokerId(ctx.config.node_id);
    let mut out = MetadataResponseTopic::default();
    out.name = Some(topic_name(&t.name));
    if version >= 10 {
        out.topic_id = t.id;
    }
    out.partitions = (0..t.partitions.len())
        .map(|i| {
            let mut p = MetadataResponsePartition::default();
            p.partition_index = i32::try_from(i).unwrap_or(i32::MAX);
            p.leader_id = node;
            if version >= 7 {
                p.leader_epoch = 0;
            }
            p.replica_nodes = vec![node];
            p.isr_nodes = vec![node];
            p
        })
        .collect();
    out
}

fn missing(version: i16, e: &KafkaError, name: Option<&str>) -> MetadataResponseTopic {
    let mut out = MetadataResponseTopic::default();
    out.error_code = e.code();
    out.name = match name {
        Some(n) => Some(topic_name(n)),
        // The name is nullable from v12; earlier versions need a string.
        None if version < 12 => Some(topic_name("")),
        None => None,
    };
    out
}

/// Metadata has no request-level error code: every topic named gets it.
pub(super) fn refuse(version: i16, req: MetadataRequest, e: &KafkaError) -> MetadataResponse {
    let mut resp = MetadataResponse::default();
    resp.topics = req
        .topics
        .unwrap_or_default()
        .into_iter()
        .map(|t| match t.name {
            Some(n) if !n.0.is_empty() || t.topic_id.is_nil() => missing(version, e, Some(&n.0)),
            _ => {
                let mut out = missing(version, e, None);
                out.topic_id = t.topic_id;
                out
            }
        })
        .collect();
    resp
}
