//! Behaviour of DescribeConfigs, AlterConfigs and IncrementalAlterConfigs against a real writer
//! and MemStore: sources, synonyms, validation, validate_only and recovery.

use std::collections::BTreeMap;

use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_protocol::messages::describe_configs_response::DescribeConfigsResult;
use kafka_protocol::messages::*;
use kafka_protocol::ResponseError;

use super::testkit::{harness, Harness};
use crate::broker::{str_bytes, topic_name};
use crate::log::Registry;

pub(super) async fn create(
    h: &Harness,
    name: &str,
    partitions: i32,
    configs: &[(&str, &str)],
) -> i16 {
    let mut t = CreatableTopic::default();
    t.name = topic_name(name);
    t.num_partitions = partitions;
    t.replication_factor = 1;
    t.configs = configs
        .iter()
        .map(|(k, v)| {
            let mut c = CreatableTopicConfig::default();
            c.name = str_bytes(k);
            c.value = Some(str_bytes(v));
            c
        })
        .collect();
    let mut r = CreateTopicsRequest::default();
    r.topics = vec![t];
    match h.call(7, r).await {
        Some(ResponseKind::CreateTopics(r)) => r.topics[0].error_code,
        other => panic!("{other:?}"),
    }
}

async fn describe(
    h: &Harness,
    version: i16,
    resource_type: i8,
    name: &str,
    keys: Option<&[&str]>,
) -> DescribeConfigsResult {
    let mut res = describe_configs_request::DescribeConfigsResource::default();
    res.resource_type = resource_type;
    res.resource_name = str_bytes(name);
    res.configuration_keys = keys.map(|k| k.iter().map(|k| str_bytes(k)).collect());
    let mut r = DescribeConfigsRequest::default();
    r.resources = vec![res];
    r.include_synonyms = true;
    r.include_documentation = version >= 3;
    match h.call(version, r).await {
        Some(ResponseKind::DescribeConfigs(mut r)) => r.results.remove(0),
        other => panic!("{other:?}"),
    }
}

/// (value, source) of `key` in a described topic or broker.
fn entry(r: &DescribeConfigsResult, key: &str) -> Option<(String, i8)> {
    r.configs.iter().find(|c| c.name.as_str() == key).map(|c| {
        (
            c.value.as_ref().map(|v| v.to_string()).unwrap_or_default(),
            c.config_source,
        )
    })
}

async fn topic_configs(h: &Harness, name: &str) -> BTreeMap<String, String> {
    h.ctx.registry.get(name).unwrap().configs.clone()
}

async fn alter(
    h: &Harness,
    version: i16,
    name: &str,
    configs: &[(&str, &str)],
    validate_only: bool,
) -> (i16, Option<String>) {
    use alter_configs_request::{AlterConfigsResource, AlterableConfig};
    let mut res = AlterConfigsResource::default();
    res.resource_type = 2;
    res.resource_name = str_bytes(name);
    res.configs = configs
        .iter()
        .map(|(k, v)| {
            let mut c = AlterableConfig::default();
            c.name = str_bytes(k);
            c.value = Some(str_bytes(v));
            c
        })
        .collect();
    let mut r = AlterConfigsRequest::default();
    r.resources = vec![res];
    r.validate_only = validate_only;
    match h.call(version, r).await {
        Some(ResponseKind::AlterConfigs(r)) => {
            let x = &r.responses[0];
            (
                x.error_code,
                x.error_message.as_ref().map(|m| m.to_string()),
            )
        }
        other => panic!("{other:?}"),
    }
}

pub(super) async fn incremental(
    h: &Harness,
    version: i16,
    resource_type: i8,
    name: &str,
    ops: &[(&str, i8, Option<&str>)],
    validate_only: bool,
) -> i16 {
    use incremental_alter_configs_request::{AlterConfigsResource, AlterableConfig};
    let mut res = AlterConfigsResource::default();
    res.resource_type = resource_type;
    res.resource_name = str_bytes(name);
    res.configs = ops
        .iter()
        .map(|(k, op, v)| {
            let mut c = AlterableConfig::default();
            c.name = str_bytes(k);
            c.config_operation = *op;
            c.value = v.map(str_bytes);
            c
        })
        .collect();
    let mut r = IncrementalAlterConfigsRequest::default();
    r.resources = vec![res];
    r.validate_only = validate_only;
    match h.call(version, r).await {
        Some(ResponseKind::IncrementalAlterConfigs(r)) => r.responses[0].error_code,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn describe_configs_reports_defaults_sources_synonyms_and_filters_at_every_version() {
    let h = harness();
    assert_eq!(
        create(
            &h,
            "dc",
            1,
            &[("retention.ms", "1000"), ("cleanup.policy", "compact")]
        )
        .await,
        0
    );
    for v in 1..=4 {
        let r = describe(&h, v, 2, "dc", None).await;
        assert_eq!((r.error_code, r.error_message.clone()), (0, None));
        assert_eq!(entry(&r, "retention.ms"), Some(("1000".into(), 1)));
        assert_eq!(entry(&r, "cleanup.policy"), Some(("compact".into(), 1)));
        assert_eq!(entry(&r, "max.message.bytes"), Some(("1048588".into(), 5)));
        assert_eq!(
            entry(&r, "message.timestamp.type"),
            Some(("CreateTime".into(), 5))
        );
        let retention = r
            .configs
            .iter()
            .find(|c| c.name.as_str() == "retention.ms")
            .unwrap();
        assert!(!retention.read_only && !retention.is_sensitive);
        let synonyms: Vec<(String, i8)> = retention
            .synonyms
            .iter()
            .map(|s| (s.name.to_string(), s.source))
            .collect();
        assert_eq!(
            synonyms,
            vec![("retention.ms".into(), 1), ("log.retention.ms".into(), 5)]
        );
        if v >= 3 {
            assert_eq!(retention.config_type, 5, "LONG");
            assert!(retention.documentation.is_some());
        }
        let only = describe(&h, v, 2, "dc", Some(&["cleanup.policy", "no.such"])).await;
        assert_eq!(only.configs.len(), 1);
        let missing = describe(&h, v, 2, "nope", None).await;
        assert_eq!(
            missing.error_code,
            ResponseError::UnknownTopicOrPartition.code()
        );
    }
}

#[tokio::test]
async fn describe_configs_reports_the_broker_read_only_with_its_settings() {
    let h = harness();
    for v in 1..=4 {
        for name in ["0", ""] {
            let r = describe(&h, v, 4, name, None).await;
            assert_eq!(r.error_code, 0);
            assert_eq!(entry(&r, "broker.id"), Some(("0".into(), 4)));
            assert_eq!(
                entry(&r, "advertised.listeners"),
                Some(("PLAINTEXT://127.0.0.1:9092".into(), 4))
            );
            assert_eq!(
                entry(&r, "auto.create.topics.enable"),
                Some(("true".into(), 4))
            );
            assert_eq!(entry(&r, "log.retention.ms"), Some(("604800000".into(), 5)));
            assert!(r.configs.iter().all(|c| c.read_only));
        }
        let other = describe(&h, v, 4, "7", None).await;
        assert_eq!(other.error_code, ResponseError::InvalidRequest.code());
    }
}

#[tokio::test]
async fn broker_level_topic_defaults_are_reported_as_static_broker_configs() {
    let h = harness();
    h.ctx.registry.set_topic_defaults(
        [
            ("retention.ms".to_string(), "3600000".to_string()),
            ("cleanup.policy".to_string(), "compact".to_string()),
        ]
        .into(),
    );
    let broker = describe(&h, 4, 4, "0", None).await;
    assert_eq!(
        entry(&broker, "log.retention.ms"),
        Some(("3600000".into(), 4))
    );
    assert_eq!(entry(&broker, "log.retention.hours"), Some(("1".into(), 4)));
    assert_eq!(
        entry(&broker, "log.cleanup.policy"),
        Some(("compact".into(), 4))
    );
    assert_eq!(
        entry(&broker, "log.retention.bytes"),
        Some(("-1".into(), 5))
    );

    assert_eq!(create(&h, "inherits", 1, &[]).await, 0);
    let t = describe(&h, 4, 2, "inherits", None).await;
    assert_eq!(entry(&t, "retention.ms"), Some(("3600000".into(), 4)));
    assert_eq!(entry(&t, "cleanup.policy"), Some(("compact".into(), 4)));
    assert_eq!(entry(&t, "retention.bytes"), Some(("-1".into(), 5)));
    assert_eq!(
        create(&h, "own", 1, &[("cleanup.policy", "delete")]).await,
        0
    );
    let t = describe(&h, 4, 2, "own", None).await;
    assert_eq!(entry(&t, "cleanup.policy"), Some(("delete".into(), 1)));
    let policy = t
        .configs
        .iter()
        .find(|c| c.name.as_str() == "cleanup.policy")
        .unwrap();
    let synonyms: Vec<(String, i8)> = policy
        .synonyms
        .iter()
        .map(|s| (s.name.to_string(), s.source))
        .collect();
    assert_eq!(
        synonyms,
        vec![
            ("cleanup.policy".into(), 1),
            ("log.cleanup.policy".into(), 4)
        ]
    );
}

#[tokio::test]
async fn alter_configs_replaces_every_dynamic_config_and_survives_a_rebuild() {
    let h = harness();
    create(&h, "ac", 2, &[("retention.ms", "1000")]).await;
    for v in 0..=2 {
        let value = format!("{}", 2000 + i64::from(v));
        let got = alter(
            &h,
            v,
            "ac",
            &[("cleanup.policy", "compact"), ("retention.ms", &value)],
            false,
        )
        .await;
        assert_eq!(got, (0, None));
        let r = describe(&h, 1, 2, "ac", None).await;
        assert_eq!(entry(&r, "cleanup.policy"), Some(("compact".into(), 1)));
        assert_eq!(entry(&r, "retention.ms"), Some((value.clone(), 1)));
    }
    // Names left out revert to their defaults.
    assert_eq!(
        alter(&h, 1, "ac", &[("retention.bytes", "4096")], false)
            .await
            .0,
        0
    );
    let mut expected = BTreeMap::new();
    expected.insert("retention.bytes".to_string(), "4096".to_string());
    assert_eq!(topic_configs(&h, "ac").await, expected);
    // The new configs are committed, and the topic keeps its partitions.
    assert_eq!(h.ctx.registry.get("ac").unwrap().partitions.len(), 2);
    let rebuilt = Registry::new(1 << 20);
    let mut store = h.store.lock().unwrap();
    crate::recovery::rebuild(&mut *store, &rebuilt).unwrap();
    assert_eq!(rebuilt.get("ac").unwrap().configs, expected);
}

#[tokio::test]
async fn incremental_alter_configs_sets_deletes_appends_and_subtracts() {
    let h = harness();
    create(&h, "ia", 1, &[]).await;
    for v in 0..=1 {
        assert_eq!(
            incremental(
                &h,
                v,
                2,
                "ia",
                &[
                    ("retention.ms", 0, Some("5000")),
                    ("cleanup.policy", 2, Some("compact"))
                ],
                false
            )
            .await,
            0
        );
        let c = topic_configs(&h, "ia").await;
        assert_eq!(c.get("retention.ms").map(String::as_str), Some("5000"));
        assert_eq!(
            c.get("cleanup.policy").map(String::as_str),
            Some("delete,compact")
        );
        assert_eq!(
            incremental(
                &h,
                v,
                2,
                "ia",
                &[
                    ("cleanup.policy", 3, Some("delete")),
                    ("retention.ms", 1, None)
                ],
                false
            )
            .await,
            0
        );
        let c = topic_configs(&h, "ia").await;
        assert_eq!(c.get("cleanup.policy").map(String::as_str), Some("compact"));
        assert_eq!(c.get("retention.ms"), None);
        assert_eq!(
            entry(&describe(&h, 2, 2, "ia", None).await, "retention.ms"),
            Some(("604800000".into(), 5))
        );
        // Back to the start for the next version.
        assert_eq!(
            incremental(&h, v, 2, "ia", &[("cleanup.policy", 1, None)], false).await,
            0
        );
        assert!(topic_configs(&h, "ia").await.is_empty());
    }
}

#[tokio::test]
async fn invalid_values_unknown_names_brokers_and_unknown_topics_are_refused_and_change_nothing() {
    let h = harness();
    create(&h, "iv", 1, &[("retention.ms", "1000")]).await;
    let invalid = ResponseError::InvalidConfig.code();
    for (k, v) in [
        ("retention.ms", "tomorrow"),
        ("cleanup.policy", "shred"),
        ("compression.type", "brotli"),
        ("min.insync.replicas", "2"),
        ("no.such.config", "1"),
    ] {
        assert_eq!(
            alter(&h, 0, "iv", &[(k, v)], false).await.0,
            invalid,
            "{k}={v}"
        );
        assert_eq!(
            incremental(&h, 1, 2, "iv", &[(k, 0, Some(v))], false).await,
            invalid,
            "{k}={v}"
        );
    }
    // APPEND on a non-list config, an unknown operation, a name given twice.
    assert_eq!(
        incremental(&h, 1, 2, "iv", &[("retention.ms", 2, Some("5"))], false).await,
        invalid
    );
    assert_eq!(
        incremental(&h, 1, 2, "iv", &[("retention.ms", 9, Some("5"))], false).await,
        ResponseError::InvalidRequest.code()
    );
    assert_eq!(
        incremental(
            &h,
            1,
            2,
            "iv",
            &[("retention.ms", 0, Some("5")), ("retention.ms", 1, None)],
            false
        )
        .await,
        ResponseError::InvalidRequest.code()
    );
    assert_eq!(
        incremental(&h, 1, 4, "0", &[("num.partitions", 0, Some("3"))], false).await,
        ResponseError::InvalidRequest.code()
    );
    assert_eq!(
        incremental(&h, 1, 2, "nope", &[("retention.ms", 0, Some("5"))], false).await,
        ResponseError::UnknownTopicOrPartition.code()
    );
    assert_eq!(
        create(&h, "bad", 1, &[("cleanup.policy", "shred")]).await,
        invalid
    );
    assert!(h.ctx.registry.get("bad").is_none());
    assert_eq!(
        topic_configs(&h, "iv")
            .await
            .get("retention.ms")
            .map(String::as_str),
        Some("1000")
    );
}

#[tokio::test]
async fn validate_only_checks_but_changes_nothing() {
    let h = harness();
    create(&h, "vo", 1, &[]).await;
    let commits = h.store.lock().unwrap().commits;
    assert_eq!(
        alter(&h, 2, "vo", &[("retention.ms", "1")], true).await.0,
        0
    );
    assert_eq!(
        incremental(
            &h,
            1,
            2,
            "vo",
            &[("cleanup.policy", 0, Some("compact"))],
            true
        )
        .await,
        0
    );
    assert_eq!(
        alter(&h, 2, "vo", &[("retention.ms", "x")], true).await.0,
        ResponseError::InvalidConfig.code()
    );
    assert!(topic_configs(&h, "vo").await.is_empty());
    assert_eq!(h.store.lock().unwrap().commits, commits);
}
