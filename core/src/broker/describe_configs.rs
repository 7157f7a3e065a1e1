//! DescribeConfigs (v1-4): topic configs from the topic-config model (the topic's own value,
//! source DYNAMIC_TOPIC_CONFIG, else the broker-level default the settings give, source
//! STATIC_BROKER_CONFIG, else Kafka's default, source DEFAULT_CONFIG) and this broker's configs,
//! read-only, with values from `BrokerConfig` and the registry's topic defaults
//! (log.retention.ms/hours/bytes, log.cleanup.policy).
//!
//! Owns no state: reads the registry. The documentation field says which configs are enforced.

use std::collections::BTreeMap;

use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use kafka_protocol::messages::{DescribeConfigsRequest, DescribeConfigsResponse, ResponseKind};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::{dedup_by, message, ready, str_bytes, Call, Reply};
use crate::config::BrokerConfig;
use crate::error::{KafkaError, KafkaResult};
use crate::log::configs::{ConfigDef, ConfigType, TOPIC_CONFIGS};

/// Kafka's resource types.
pub(super) const RESOURCE_TOPIC: i8 = 2;
pub(super) const RESOURCE_BROKER: i8 = 4;

/// Kafka's config sources.
const SOURCE_TOPIC: i8 = 1;
const SOURCE_STATIC_BROKER: i8 = 4;
const SOURCE_DEFAULT: i8 = 5;

/// The log dir DescribeLogDirs reports and `log.dirs` names.
pub(super) const LOG_DIR: &str = "/pg_kafka";

/// One config as reported.
struct Entry {
    name: String,
    value: String,
    source: i8,
    kind: ConfigType,
    read_only: bool,
    /// (name, value, source), most specific first; the entry itself included.
    synonyms: Vec<(String, String, i8)>,
    doc: &'static str,
}

pub(super) async fn handle(c: &Call<'_>, mut req: DescribeConfigsRequest) -> Reply {
    let (ctx, version) = (c.ctx, c.version);
    req.resources = dedup_by(req.resources, |r| (r.resource_type, r.resource_name.clone()));
    let mut resp = DescribeConfigsResponse::default();
    for r in &req.resources {
        let mut out = DescribeConfigsResult::default();
        out.resource_type = r.resource_type;
        out.resource_name = r.resource_name.clone();
        out.error_message = None;
        let entries = match r.resource_type {
            RESOURCE_TOPIC => match ctx.registry.get(r.resource_name.as_str()) {
                Some(t) => Ok(topic_entries(&t.configs, &ctx.registry.topic_defaults())),
                None => Err(KafkaError::with_message(
                    ResponseError::UnknownTopicOrPartition,
                    format!("unknown topic {:?}", r.resource_name.as_str()),
                )),
            },
            RESOURCE_BROKER => broker_resource(
                &ctx.config,
                &ctx.registry.topic_defaults(),
                r.resource_name.as_str(),
            ),
            other => Err(KafkaError::with_message(
                ResponseError::InvalidRequest,
                format!("resource type {other} is not supported: only topics (2) and brokers (4)"),
            )),
        };
        match entries {
            Ok(entries) => {
                out.configs = entries
                    .into_iter()
                    .filter(|e| {
                        r.configuration_keys
                            .as_ref()
                            .is_none_or(|keys| keys.iter().any(|k| k.as_str() == e.name))
                    })
                    .map(|e| render(version, &req, e))
                    .collect();
            }
            Err(e) => {
                out.error_code = e.code();
                out.error_message = message(&e);
            }
        }
        resp.results.push(out);
    }
    ready(ResponseKind::DescribeConfigs(resp))
}

fn render(version: i16, req: &DescribeConfigsRequest, e: Entry) -> DescribeConfigsResourceResult {
    let mut c = DescribeConfigsResourceResult::default();
    c.name = StrBytes::from_string(e.name);
    c.value = Some(StrBytes::from_string(e.value));
    c.read_only = e.read_only;
    c.config_source = e.source;
    c.is_sensitive = false;
    if req.include_synonyms {
        c.synonyms = e
            .synonyms
            .into_iter()
            .map(|(name, value, source)| {
                let mut s = DescribeConfigsSynonym::default();
                s.name = StrBytes::from_string(name);
                s.value = Some(StrBytes::from_string(value));
                s.source = source;
                s
            })
            .collect();
    }
    c.documentation = None;
    if version >= 3 {
        c.config_type = e.kind as i8;
        if req.include_documentation {
            c.documentation = Some(str_bytes(e.doc));
        }
    }
    c
}

/// A topic config's broker-level value: from the settings, else Kafka's default.
fn broker_default(d: &ConfigDef, defaults: &BTreeMap<String, String>) -> (String, i8) {
    match defaults.get(d.name) {
        Some(v) => (v.clone(), SOURCE_STATIC_BROKER),
        None => (d.default.to_owned(), SOURCE_DEFAULT),
    }
}

fn topic_entries(
    configs: &BTreeMap<String, String>,
    defaults: &BTreeMap<String, String>,
) -> Vec<Entry> {
    TOPIC_CONFIGS
        .iter()
        .map(|d| {
            let (value, source) = broker_default(d, defaults);
            let default = (d.broker_synonym.to_owned(), value.clone(), source);
            match configs.get(d.name) {
                Some(v) => Entry {
                    name: d.name.to_owned(),
                    value: v.clone(),
                    source: SOURCE_TOPIC,
                    kind: d.kind,
                    read_only: false,
                    synonyms: vec![(d.name.to_owned(), v.clone(), SOURCE_TOPIC), default],
                    doc: d.doc,
                },
                None => Entry {
                    name: d.name.to_owned(),
                    value,
                    source,
                    kind: d.kind,
                    read_only: false,
                    synonyms: vec![default],
                    doc: d.doc,
                },
            }
        })
        .collect()
}

/// This broker's configs for resource name "" (cluster default) or its node id.
fn broker_resource(
    config: &BrokerConfig,
    defaults: &BTreeMap<String, String>,
    name: &str,
) -> KafkaResult<Vec<Entry>> {
    if !name.is_empty() && name != config.node_id.to_string() {
        return Err(KafkaError::with_message(
            ResponseError::InvalidRequest,
            format!(
                "unexpected broker id {name:?}: this is node {}",
                config.node_id
            ),
        ));
    }
    Ok(broker_entries(config, defaults))
}

fn broker_entries(config: &BrokerConfig, defaults: &BTreeMap<String, String>) -> Vec<Entry> {
    let join = |f: &dyn Fn(&crate::config::Listener) -> String| {
        config.listeners.iter().map(f).collect::<Vec<_>>().join(",")
    };
    let listeners = join(&|l| l.to_string());
    let advertised = join(&|l| {
        let at = crate::config::Listener::new(l.protocol, &l.advertised_host, l.advertised_port);
        at.to_string()
    });
    #[rustfmt::skip]
    let fixed: [(&str, String, i8, ConfigType, &'static str); 12] = [
        ("advertised.listeners", advertised, SOURCE_STATIC_BROKER, ConfigType::List, "From the advertised listeners setting."),
        ("auto.create.topics.enable", config.auto_create_topics.to_string(), SOURCE_STATIC_BROKER, ConfigType::Boolean, "From the auto-create setting."),
        ("broker.id", config.node_id.to_string(), SOURCE_STATIC_BROKER, ConfigType::Int, "From the node id setting."),
        ("default.replication.factor", "1".into(), SOURCE_DEFAULT, ConfigType::Int, "A single node."),
        ("listeners", listeners, SOURCE_STATIC_BROKER, ConfigType::List, "From the listeners setting."),
        ("log.dirs", LOG_DIR.into(), SOURCE_DEFAULT, ConfigType::String, "Records live in Postgres tables."),
        ("max.connections", config.max_connections.to_string(), SOURCE_STATIC_BROKER, ConfigType::Int, "From the connection limit setting."),
        ("node.id", config.node_id.to_string(), SOURCE_STATIC_BROKER, ConfigType::Int, "From the node id setting."),
        ("num.partitions", config.default_partitions.to_string(), SOURCE_STATIC_BROKER, ConfigType::Int, "Partitions of an auto-created topic."),
        ("offsets.topic.replication.factor", "1".into(), SOURCE_DEFAULT, ConfigType::Int, "A single node; offsets live in Postgres tables."),
        ("socket.request.max.bytes", config.max_request_size.to_string(), SOURCE_STATIC_BROKER, ConfigType::Int, "From the request size limit setting."),
        ("transaction.state.log.replication.factor", "1".into(), SOURCE_DEFAULT, ConfigType::Int, "A single node."),
    ];
    let mut entries: Vec<Entry> = fixed
        .into_iter()
        .map(|(name, value, source, kind, doc)| Entry {
            synonyms: vec![(name.to_owned(), value.clone(), source)],
            name: name.to_owned(),
            value,
            source,
            kind,
            read_only: true,
            doc,
        })
        .collect();
    // The broker-level defaults behind every topic config.
    for d in TOPIC_CONFIGS {
        if entries.iter().any(|e| e.name == d.broker_synonym) {
            continue;
        }
        let (value, source) = broker_default(d, defaults);
        entries.push(Entry {
            name: d.broker_synonym.to_owned(),
            synonyms: vec![(d.broker_synonym.to_owned(), value.clone(), source)],
            value,
            source,
            kind: d.kind,
            read_only: true,
            doc: d.doc,
        });
    }
    // Kafka's coarser synonym of log.retention.ms.
    if let Some(ms) = entries.iter().find(|e| e.name == "log.retention.ms") {
        let hours = match ms.value.parse::<i64>() {
            Ok(ms) if ms >= 0 => (ms / 3_600_000).to_string(),
            _ => "-1".to_owned(),
        };
        let source = ms.source;
        entries.push(Entry {
            name: "log.retention.hours".to_owned(),
            synonyms: vec![("log.retention.hours".to_owned(), hours.clone(), source)],
            value: hours,
            source,
            kind: ConfigType::Int,
            read_only: true,
            doc: "log.retention.ms in whole hours (the pg_kafka.log_retention setting).",
        });
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    entries
}

pub(super) fn refuse(
    _version: i16,
    req: DescribeConfigsRequest,
    e: &KafkaError,
) -> DescribeConfigsResponse {
    let mut resp = DescribeConfigsResponse::default();
    for r in req.resources {
        let mut out = DescribeConfigsResult::default();
        out.resource_type = r.resource_type;
        out.resource_name = r.resource_name;
        out.error_code = e.code();
        out.error_message = message(e);
        resp.results.push(out);
    }
    resp
}
