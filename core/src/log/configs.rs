//! The topic-config model: the topic configs Kafka knows, with Kafka's defaults, types and
//! allowed values, and the operations that change a topic's stored config map.
//!
//! Owns: validation of config names and values (CreateTopics, AlterConfigs and
//! IncrementalAlterConfigs share it) and the arithmetic of SET/DELETE/APPEND/SUBTRACT. Must not
//! touch: storage or the registry. Invariants: a stored map only ever holds known names with
//! values that passed [`validate`], normalised (booleans lower case, list items trimmed); a
//! missing name means Kafka's default.

use std::collections::BTreeMap;

use kafka_protocol::ResponseError;

use crate::error::{KafkaError, KafkaResult};

/// Kafka's config value types, numbered as DescribeConfigs v3+ reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    Boolean = 1,
    String = 2,
    Int = 3,
    Long = 5,
    Double = 6,
    List = 7,
}

/// One known topic config.
#[derive(Debug)]
pub struct ConfigDef {
    pub name: &'static str,
    pub kind: ConfigType,
    /// Kafka's default, as DescribeConfigs reports it.
    pub default: &'static str,
    /// Allowed values of a string, or of each item of a list; empty: any.
    pub allowed: &'static [&'static str],
    /// Smallest and largest numeric value (doubles compare as f64).
    pub min: i64,
    pub max: i64,
    /// The broker config that supplies the default (reported as a synonym).
    pub broker_synonym: &'static str,
    pub doc: &'static str,
}

const LMAX: i64 = i64::MAX;
const IMAX: i64 = i32::MAX as i64;

const fn def(
    name: &'static str,
    kind: ConfigType,
    default: &'static str,
    min: i64,
    max: i64,
    broker_synonym: &'static str,
    doc: &'static str,
) -> ConfigDef {
    ConfigDef {
        name,
        kind,
        default,
        allowed: &[],
        min,
        max,
        broker_synonym,
        doc,
    }
}

use ConfigType::{Boolean, Double, Int, List, Long};

/// Every topic config this broker accepts, sorted by name.
#[rustfmt::skip]
pub static TOPIC_CONFIGS: &[ConfigDef] = &[
    ConfigDef {
        allowed: &["delete", "compact"],
        ..def("cleanup.policy", List, "delete", 0, 0, "log.cleanup.policy",
            "delete: retention.ms and retention.bytes remove old batches; compact: only the latest record of each key is kept (the log cleaner, enforced).")
    },
    ConfigDef {
        allowed: &["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"],
        ..def("compression.type", ConfigType::String, "producer", 0, 0, "compression.type",
            "producer keeps the producer's codec; any other value refuses batches in another codec (batches are stored verbatim, never recompressed).")
    },
    def("delete.retention.ms", Long, "86400000", 0, LMAX, "log.cleaner.delete.retention.ms", "How long compaction keeps tombstones and transaction markers (enforced)."),
    def("file.delete.delay.ms", Long, "60000", 0, LMAX, "log.segment.delete.delay.ms", "Stored and reported; no files."),
    def("flush.messages", Long, "9223372036854775807", 1, LMAX, "log.flush.interval.messages", "Stored and reported; durability follows Postgres COMMIT."),
    def("flush.ms", Long, "9223372036854775807", 0, LMAX, "log.flush.interval.ms", "Stored and reported; durability follows Postgres COMMIT."),
    def("index.interval.bytes", Int, "4096", 0, IMAX, "log.index.interval.bytes", "Stored and reported; no index files."),
    def("max.compaction.lag.ms", Long, "9223372036854775807", 1, LMAX, "log.cleaner.max.compaction.lag.ms", "A record older than this is compacted whatever the dirty ratio (enforced)."),
    def("max.message.bytes", Int, "1048588", 0, IMAX, "message.max.bytes", "The largest record batch the topic accepts (enforced)."),
    def("message.timestamp.after.max.ms", Long, "9223372036854775807", 0, LMAX, "log.message.timestamp.after.max.ms", "Stored and reported; not enforced."),
    def("message.timestamp.before.max.ms", Long, "9223372036854775807", 0, LMAX, "log.message.timestamp.before.max.ms", "Stored and reported; not enforced."),
    def("message.timestamp.difference.max.ms", Long, "9223372036854775807", 0, LMAX, "log.message.timestamp.difference.max.ms", "Stored and reported; not enforced."),
    ConfigDef {
        allowed: &["CreateTime", "LogAppendTime"],
        ..def("message.timestamp.type", ConfigType::String, "CreateTime", 0, 0, "log.message.timestamp.type",
            "LogAppendTime makes the broker stamp each batch's max timestamp with the append time (enforced).")
    },
    def("min.cleanable.dirty.ratio", Double, "0.5", 0, 1, "log.cleaner.min.cleanable.ratio", "Share of uncompacted bytes that makes a partition due for compaction (enforced)."),
    def("min.compaction.lag.ms", Long, "0", 0, LMAX, "log.cleaner.min.compaction.lag.ms", "Records younger than this are not compacted (enforced)."),
    def("min.insync.replicas", Int, "1", 1, 1, "min.insync.replicas", "A single node: 1 is the only value."),
    def("preallocate", Boolean, "false", 0, 0, "log.preallocate", "Stored and reported; no files."),
    def("retention.bytes", Long, "-1", -1, LMAX, "log.retention.bytes", "Per partition: the oldest batches are removed while more is stored (enforced)."),
    def("retention.ms", Long, "604800000", -1, LMAX, "log.retention.ms", "Batches whose newest timestamp is older are removed; -1 keeps them (enforced)."),
    def("segment.bytes", Int, "1073741824", 14, IMAX, "log.segment.bytes", "Stored and reported; batches are rows, not segments."),
    def("segment.index.bytes", Int, "10485760", 4, IMAX, "log.index.size.max.bytes", "Stored and reported; no index files."),
    def("segment.jitter.ms", Long, "0", 0, LMAX, "log.roll.jitter.ms", "Stored and reported; no segments."),
    def("segment.ms", Long, "604800000", 1, LMAX, "log.roll.ms", "Stored and reported; no segments."),
    def("unclean.leader.election.enable", Boolean, "false", 0, 0, "unclean.leader.election.enable", "A single node: there is no other replica to elect."),
];

/// The definition of a known topic config.
pub fn lookup(name: &str) -> Option<&'static ConfigDef> {
    TOPIC_CONFIGS.iter().find(|d| d.name == name)
}

fn invalid(msg: String) -> KafkaError {
    KafkaError::with_message(ResponseError::InvalidConfig, msg)
}

/// Check `value` for the config `name` and return it normalised, or INVALID_CONFIG.
pub fn validate(name: &str, value: &str) -> KafkaResult<String> {
    let d = lookup(name).ok_or_else(|| invalid(format!("unknown topic config {name:?}")))?;
    let bad = |why: &str| invalid(format!("invalid value {value:?} for {name}: {why}"));
    let v = value.trim();
    match d.kind {
        ConfigType::Boolean => match v.to_ascii_lowercase().as_str() {
            b @ ("true" | "false") => Ok(b.to_owned()),
            _ => Err(bad("expected true or false")),
        },
        ConfigType::Int | ConfigType::Long => {
            let n: i64 = v.parse().map_err(|_| bad("expected an integer"))?;
            if n < d.min || n > d.max {
                return Err(bad(&format!("must be between {} and {}", d.min, d.max)));
            }
            Ok(n.to_string())
        }
        ConfigType::Double => {
            let x: f64 = v.parse().map_err(|_| bad("expected a number"))?;
            if !(x >= d.min as f64 && x <= d.max as f64) {
                return Err(bad(&format!("must be between {} and {}", d.min, d.max)));
            }
            Ok(v.to_owned())
        }
        ConfigType::String => {
            if !d.allowed.is_empty() && !d.allowed.contains(&v) {
                return Err(bad(&format!("allowed: {}", d.allowed.join(", "))));
            }
            Ok(v.to_owned())
        }
        ConfigType::List => {
            let items = list_items(v);
            if items.is_empty() {
                return Err(bad("the list may not be empty"));
            }
            if let Some(i) = items.iter().find(|i| !d.allowed.contains(i)) {
                return Err(bad(&format!(
                    "{i:?} is not one of {}",
                    d.allowed.join(", ")
                )));
            }
            Ok(items.join(","))
        }
    }
}

fn list_items(v: &str) -> Vec<&str> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// Validate a whole map (CreateTopics, AlterConfigs), normalising each value.
pub fn validate_all(configs: &BTreeMap<String, String>) -> KafkaResult<BTreeMap<String, String>> {
    configs
        .iter()
        .map(|(k, v)| validate(k, v).map(|v| (k.clone(), v)))
        .collect()
}

/// One change to a topic's configs (IncrementalAlterConfigs' operations).
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigOp {
    Set(String),
    Delete,
    Append(String),
    Subtract(String),
}

impl ConfigOp {
    /// From IncrementalAlterConfigs' operation code (0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT).
    pub fn from_wire(op: i8, value: Option<&str>) -> KafkaResult<Self> {
        let value = || {
            value
                .map(str::to_owned)
                .ok_or_else(|| invalid("this operation needs a value".into()))
        };
        match op {
            0 => Ok(ConfigOp::Set(value()?)),
            1 => Ok(ConfigOp::Delete),
            2 => Ok(ConfigOp::Append(value()?)),
            3 => Ok(ConfigOp::Subtract(value()?)),
            _ => Err(KafkaError::with_message(
                ResponseError::InvalidRequest,
                format!("unknown config operation {op}"),
            )),
        }
    }
}

/// Apply `ops` in order to `current` (an empty map when `replace`) and validate the result.
/// APPEND and SUBTRACT work on list configs only, starting from the current or default list.
pub fn apply(
    current: &BTreeMap<String, String>,
    replace: bool,
    ops: &[(String, ConfigOp)],
) -> KafkaResult<BTreeMap<String, String>> {
    let mut out = if replace {
        BTreeMap::new()
    } else {
        current.clone()
    };
    for (name, op) in ops {
        let d = lookup(name).ok_or_else(|| invalid(format!("unknown topic config {name:?}")))?;
        match op {
            ConfigOp::Set(v) => {
                out.insert(name.clone(), validate(name, v)?);
            }
            ConfigOp::Delete => {
                out.remove(name);
            }
            ConfigOp::Append(v) | ConfigOp::Subtract(v) => {
                if d.kind != ConfigType::List {
                    return Err(invalid(format!(
                        "{name} is not a list: APPEND and SUBTRACT apply to list configs"
                    )));
                }
                let now = out.get(name).map_or(d.default, String::as_str).to_owned();
                let mut items: Vec<&str> = list_items(&now);
                for item in list_items(v) {
                    if matches!(op, ConfigOp::Append(_)) {
                        if !items.contains(&item) {
                            items.push(item);
                        }
                    } else {
                        items.retain(|i| *i != item);
                    }
                }
                out.insert(name.clone(), validate(name, &items.join(","))?);
            }
        }
    }
    Ok(out)
}

/// The effective value of `name` for a topic with `configs`: its own, else Kafka's default.
pub fn effective<'a>(configs: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    configs
        .get(name)
        .map(String::as_str)
        .or_else(|| lookup(name).map(|d| d.default))
}
