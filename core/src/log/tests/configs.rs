//! The topic-config model: validation, normalisation, list operations, defaults.

use kafka_protocol::ResponseError;
use std::collections::BTreeMap;

use crate::log::configs::*;

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn values_are_checked_by_type_and_allowed_set() {
    assert_eq!(validate("retention.ms", " 1000 ").unwrap(), "1000");
    assert_eq!(validate("preallocate", "TRUE").unwrap(), "true");
    assert_eq!(
        validate("cleanup.policy", "compact, delete").unwrap(),
        "compact,delete"
    );
    assert_eq!(
        validate("min.cleanable.dirty.ratio", "0.25").unwrap(),
        "0.25"
    );
    let invalid = ResponseError::InvalidConfig;
    for (k, v) in [
        ("retention.ms", "soon"),
        ("retention.ms", "-2"),
        ("max.message.bytes", "99999999999"),
        ("cleanup.policy", "shred"),
        ("cleanup.policy", ""),
        ("compression.type", "brotli"),
        ("message.timestamp.type", "logappendtime"),
        ("min.insync.replicas", "2"),
        ("min.cleanable.dirty.ratio", "NaN"),
        ("no.such.config", "1"),
    ] {
        assert_eq!(validate(k, v).unwrap_err().code, invalid, "{k}={v}");
    }
}

#[test]
fn list_operations_start_from_the_default_and_keep_order() {
    let ops = vec![(
        "cleanup.policy".to_string(),
        ConfigOp::Append("compact".into()),
    )];
    let m = apply(&BTreeMap::new(), false, &ops).unwrap();
    assert_eq!(m, map(&[("cleanup.policy", "delete,compact")]));
    let ops = vec![(
        "cleanup.policy".to_string(),
        ConfigOp::Subtract("delete".into()),
    )];
    assert_eq!(
        apply(&m, false, &ops).unwrap(),
        map(&[("cleanup.policy", "compact")])
    );
    // Subtracting the last item leaves an empty list, which Kafka refuses too.
    let ops = vec![(
        "cleanup.policy".to_string(),
        ConfigOp::Subtract("compact".into()),
    )];
    assert!(apply(&map(&[("cleanup.policy", "compact")]), false, &ops).is_err());
    let ops = vec![("retention.ms".to_string(), ConfigOp::Append("1".into()))];
    assert!(apply(&m, false, &ops).is_err());
}

#[test]
fn replace_drops_what_is_not_named_and_delete_restores_the_default() {
    let current = map(&[("retention.ms", "5"), ("retention.bytes", "7")]);
    let ops = vec![("retention.bytes".to_string(), ConfigOp::Set("8".into()))];
    assert_eq!(
        apply(&current, true, &ops).unwrap(),
        map(&[("retention.bytes", "8")])
    );
    let ops = vec![("retention.ms".to_string(), ConfigOp::Delete)];
    let m = apply(&current, false, &ops).unwrap();
    assert_eq!(effective(&m, "retention.ms"), Some("604800000"));
}
