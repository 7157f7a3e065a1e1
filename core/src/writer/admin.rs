//! Topic administration through the writer: create (configs validated by the topic-config
//! model), delete, add partitions. Each command is its
//! own transaction; memory changes only after it commits.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use kafka_protocol::ResponseError;
use uuid::Uuid;

use super::{Command, Writer};
use crate::error::{KafkaError, KafkaResult};
use crate::log::{configs, PartitionLog, Registry, Topic};
use crate::store::{Store, TopicRow, WriteSet};

/// Most partitions one topic may have.
pub const MAX_PARTITIONS: i32 = 10_000;

/// A topic to create.
#[derive(Debug, Clone)]
pub struct NewTopic {
    pub name: String,
    pub partitions: i32,
    pub configs: BTreeMap<String, String>,
}

/// The outcome for one topic: the topic as it now is, or the Kafka error.
pub type AdminResult = KafkaResult<Arc<Topic>>;

/// Kafka's topic name rule: 1 to 249 characters of [a-zA-Z0-9._-], and not "." or "..".
pub fn validate_topic_name(name: &str) -> KafkaResult<()> {
    let legal = name
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || c == b'-');
    if name.is_empty() || name.len() > 249 || !legal || name == "." || name == ".." {
        return Err(KafkaError::with_message(
            ResponseError::InvalidTopicException,
            format!("invalid topic name {name:?}: use 1-249 characters of [a-zA-Z0-9._-]"),
        ));
    }
    Ok(())
}

/// POLICY_VIOLATION when `topics` topics or `partitions` partitions exceed the broker's caps
/// (`pg_kafka.max_topics`, `pg_kafka.max_partitions`).
fn check_caps(registry: &Registry, topics: usize, partitions: usize) -> KafkaResult<()> {
    if topics > registry.max_topics {
        return Err(KafkaError::with_message(
            ResponseError::PolicyViolation,
            format!(
                "this broker holds at most {} topics (pg_kafka.max_topics)",
                registry.max_topics
            ),
        ));
    }
    if partitions > registry.max_partitions {
        return Err(KafkaError::with_message(
            ResponseError::PolicyViolation,
            format!(
                "this broker holds at most {} partitions (pg_kafka.max_partitions)",
                registry.max_partitions
            ),
        ));
    }
    Ok(())
}

pub(super) fn new_logs(registry: &Registry, n: i32) -> Vec<Arc<PartitionLog>> {
    (0..n).map(|_| registry.new_log(0, 0, Vec::new())).collect()
}

pub(super) fn storage_error(e: impl std::fmt::Display) -> KafkaError {
    KafkaError::with_message(ResponseError::KafkaStorageError, e.to_string())
}

/// Commit `ws` if it holds anything. On failure nothing was written, so every result that was
/// going to succeed becomes the storage error and the caller must publish nothing: `Err` carries
/// those results, ready to be returned.
pub(super) fn commit_or_fail<S: Store, T, U>(
    store: &mut S,
    ws: &WriteSet,
    results: Vec<KafkaResult<T>>,
) -> Result<Vec<KafkaResult<T>>, Vec<KafkaResult<U>>> {
    if ws.is_empty() {
        return Ok(results);
    }
    match store.commit(ws) {
        Ok(()) => Ok(results),
        Err(e) => {
            let err = storage_error(e);
            Err(results
                .into_iter()
                .map(|r| r.and(Err(err.clone())))
                .collect())
        }
    }
}

impl Writer {
    pub(super) fn admin<S: Store>(&mut self, store: &mut S, cmd: Command) {
        match cmd {
            Command::CreateTopics {
                topics,
                validate_only,
                reply,
            } => {
                let _ = reply.send(self.create_topics(store, topics, validate_only));
            }
            Command::DeleteTopics { topics, reply } => {
                let _ = reply.send(self.delete_topics(store, topics));
            }
            Command::CreatePartitions {
                topics,
                validate_only,
                reply,
            } => {
                let _ = reply.send(self.create_partitions(store, topics, validate_only));
            }
            Command::AlterTopicConfigs {
                changes,
                validate_only,
                reply,
            } => {
                let _ = reply.send(self.alter_topic_configs(store, changes, validate_only));
            }
            Command::DeleteRecords { deletions, reply } => {
                let _ = reply.send(self.delete_records(store, deletions));
            }
            Command::Clean { step, reply } => {
                let _ = reply.send(self.clean(store, step));
            }
            Command::CreateAcls {
                bindings,
                by,
                reply,
            } => {
                let _ = reply.send(store.create_acls(&bindings, &by));
            }
            Command::DeleteAcls { filters, reply } => {
                let _ = reply.send(store.delete_acls(&filters));
            }
            Command::Audit { rows } => {
                if let Err(e) = store.append_audit(&rows) {
                    eprintln!("pg_kafka: {} audit rows were not written: {e}", rows.len());
                }
            }
            Command::Produce { .. }
            | Command::Groups { .. }
            | Command::Read(_)
            | Command::Txn(_) => {}
        }
    }

    fn create_topics<S: Store>(
        &mut self,
        store: &mut S,
        topics: Vec<NewTopic>,
        validate_only: bool,
    ) -> Vec<AdminResult> {
        let mut ws = WriteSet::default();
        let mut results: Vec<KafkaResult<TopicRow>> = Vec::new();
        let mut names = HashSet::new();
        let (mut topic_count, mut partition_count) =
            (self.registry.topic_count(), self.registry.partition_count());
        for t in topics {
            let r = (|| {
                validate_topic_name(&t.name)?;
                if self.registry.get(&t.name).is_some() || names.contains(&t.name) {
                    return Err(KafkaError::with_message(
                        ResponseError::TopicAlreadyExists,
                        format!("topic {:?} already exists", t.name),
                    ));
                }
                let configs = configs::validate_all(&t.configs)?;
                if t.partitions < 1 || t.partitions > MAX_PARTITIONS {
                    return Err(KafkaError::with_message(
                        ResponseError::InvalidPartitions,
                        format!("partitions must be between 1 and {MAX_PARTITIONS}"),
                    ));
                }
                check_caps(
                    &self.registry,
                    topic_count + 1,
                    partition_count + t.partitions as usize,
                )?;
                topic_count += 1;
                partition_count += t.partitions as usize;
                names.insert(t.name.clone());
                let row = TopicRow {
                    id: Uuid::new_v4(),
                    name: t.name,
                    partitions: t.partitions,
                    configs,
                };
                if !validate_only {
                    ws.create_topics.push(row.clone());
                }
                Ok(row)
            })();
            results.push(r);
        }
        let results = match commit_or_fail(store, &ws, results) {
            Ok(r) => r,
            Err(failed) => return failed,
        };
        let topics = |row: &TopicRow| Topic {
            name: row.name.clone(),
            id: row.id,
            partitions: new_logs(&self.registry, row.partitions),
            configs: row.configs.clone(),
        };
        if validate_only {
            return results
                .into_iter()
                .map(|r| r.map(|row| Arc::new(topics(&row))))
                .collect();
        }
        // Published together: the cache is rebalanced once for the whole command.
        let created = results.iter().flatten().map(topics).collect();
        let mut published = self.registry.publish_topics(created).into_iter();
        results
            .into_iter()
            .map(|r| r.and_then(|_| published.next().ok_or_else(KafkaError::storage)))
            .collect()
    }

    fn delete_topics<S: Store>(
        &mut self,
        store: &mut S,
        topics: Vec<(String, Uuid)>,
    ) -> Vec<AdminResult> {
        let mut ws = WriteSet::default();
        let results: Vec<AdminResult> = topics
            .into_iter()
            .map(|(name, id)| {
                let found = if name.is_empty() {
                    self.registry.get_by_id(&id)
                } else {
                    self.registry.get(&name)
                };
                match found {
                    Some(t) if !ws.delete_topics.contains(&t.id) => {
                        ws.delete_topics.push(t.id);
                        Ok(t)
                    }
                    _ => Err(KafkaError::with_message(
                        if name.is_empty() {
                            ResponseError::UnknownTopicId
                        } else {
                            ResponseError::UnknownTopicOrPartition
                        },
                        "unknown topic",
                    )),
                }
            })
            .collect();
        let results = match commit_or_fail(store, &ws, results) {
            Ok(r) => r,
            Err(failed) => return failed,
        };
        for t in results.iter().flatten() {
            self.registry.remove_topic(&t.name);
        }
        results
    }

    fn create_partitions<S: Store>(
        &mut self,
        store: &mut S,
        topics: Vec<(String, i32)>,
        validate_only: bool,
    ) -> Vec<AdminResult> {
        let mut ws = WriteSet::default();
        let mut staged = Vec::new();
        let topic_count = self.registry.topic_count();
        let mut partition_count = self.registry.partition_count();
        for (name, count) in topics {
            let r = match self.registry.get(&name) {
                None => Err(KafkaError::with_message(
                    ResponseError::UnknownTopicOrPartition,
                    format!("unknown topic {name:?}"),
                )),
                Some(t) if count <= t.partitions.len() as i32 || count > MAX_PARTITIONS => Err(KafkaError::with_message(
                    ResponseError::InvalidPartitions,
                    format!(
                        "topic {name:?} has {} partitions; the new count must be greater and at most {MAX_PARTITIONS}",
                        t.partitions.len()
                    ),
                )),
                Some(t) => {
                    let more = (count as usize).saturating_sub(t.partitions.len());
                    match check_caps(&self.registry, topic_count, partition_count + more) {
                        Err(e) => Err(e),
                        Ok(()) => {
                            partition_count += more;
                            if !validate_only {
                                ws.add_partitions.push((t.id, t.partitions.len() as i32, count));
                            }
                            Ok((t, count))
                        }
                    }
                }
            };
            staged.push(r);
        }
        let staged = match commit_or_fail(store, &ws, staged) {
            Ok(r) => r,
            Err(failed) => return failed,
        };
        if validate_only {
            return staged.into_iter().map(|r| r.map(|(t, _)| t)).collect();
        }
        let grown = staged
            .iter()
            .flatten()
            .map(|(t, count)| {
                let mut partitions = t.partitions.clone();
                partitions.extend(new_logs(&self.registry, count - t.partitions.len() as i32));
                Topic {
                    name: t.name.clone(),
                    id: t.id,
                    partitions,
                    configs: t.configs.clone(),
                }
            })
            .collect();
        let mut published = self.registry.publish_topics(grown).into_iter();
        staged
            .into_iter()
            .map(|r| r.and_then(|_| published.next().ok_or_else(KafkaError::storage)))
            .collect()
    }
}
