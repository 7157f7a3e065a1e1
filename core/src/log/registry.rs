//! The topics this broker knows, each with its partition logs.
//!
//! Readers take a snapshot (`Arc<Topic>`) and never block the writer for longer than a map
//! lookup. Only the writer adds, replaces or removes topics, after the change is committed.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use uuid::Uuid;

use super::cache::Cache;
use super::{Batch, PartitionLog};

/// A topic and its partitions. Immutable once published: adding partitions publishes a new
/// `Topic` sharing the existing partition logs.
#[derive(Debug)]
pub struct Topic {
    pub name: String,
    pub id: Uuid,
    pub partitions: Vec<Arc<PartitionLog>>,
    pub configs: BTreeMap<String, String>,
}

impl Topic {
    pub fn partition(&self, index: i32) -> Option<&Arc<PartitionLog>> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.partitions.get(i))
    }
}

#[derive(Default, Debug)]
struct Topics {
    by_name: HashMap<String, Arc<Topic>>,
    by_id: HashMap<Uuid, Arc<Topic>>,
}

/// Every topic, by name and by id, plus the log cache all their partitions share.
#[derive(Debug)]
pub struct Registry {
    topics: RwLock<Topics>,
    /// Partitions across all topics (changed with `topics`, under its write lock).
    partitions: AtomicUsize,
    /// Bumped whenever a topic is added, replaced or removed.
    version: AtomicU64,
    cache: Arc<Cache>,
    /// Most topics, and most partitions across them, the writer may create.
    pub max_topics: usize,
    pub max_partitions: usize,
    /// Producer ids, sequence windows and transactions (changed by the writer only).
    producers: crate::txn::Producers,
    /// Broker-level defaults of topic configs (the settings behind `log.retention.ms`,
    /// `log.retention.bytes`, `log.cleanup.policy`), by topic config name.
    defaults: RwLock<Arc<BTreeMap<String, String>>>,
}

impl Registry {
    pub fn new(cache_budget: usize) -> Self {
        Self::with_caps(cache_budget, usize::MAX, usize::MAX)
    }

    /// A registry the writer fills up to `max_topics` topics and `max_partitions` partitions.
    pub fn with_caps(cache_budget: usize, max_topics: usize, max_partitions: usize) -> Self {
        Registry {
            topics: RwLock::new(Topics::default()),
            partitions: AtomicUsize::new(0),
            version: AtomicU64::new(0),
            cache: Cache::new(cache_budget),
            max_topics,
            max_partitions,
            producers: crate::txn::Producers::default(),
            defaults: RwLock::new(Arc::new(BTreeMap::new())),
        }
    }

    /// Replace the broker-level topic config defaults (at start and when settings reload).
    pub fn set_topic_defaults(&self, defaults: BTreeMap<String, String>) {
        *self.defaults.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(defaults);
    }

    /// The broker-level topic config defaults.
    pub fn topic_defaults(&self) -> Arc<BTreeMap<String, String>> {
        self.defaults
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A topic config's value: the topic's own, else the broker default, else Kafka's.
    pub fn effective_config(&self, topic: &Topic, name: &str) -> String {
        topic
            .configs
            .get(name)
            .cloned()
            .or_else(|| self.topic_defaults().get(name).cloned())
            .or_else(|| super::configs::lookup(name).map(|d| d.default.to_owned()))
            .unwrap_or_default()
    }

    /// Whether `topic`'s cleanup.policy includes compact.
    pub fn is_compacted(&self, topic: &Topic) -> bool {
        self.effective_config(topic, "cleanup.policy")
            .split(',')
            .any(|p| p.trim() == "compact")
    }

    /// The producer and transaction table.
    pub fn producers(&self) -> &crate::txn::Producers {
        &self.producers
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Topics> {
        self.topics.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Topics> {
        self.topics.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, name: &str) -> Option<Arc<Topic>> {
        self.read().by_name.get(name).cloned()
    }

    pub fn get_by_id(&self, id: &Uuid) -> Option<Arc<Topic>> {
        self.read().by_id.get(id).cloned()
    }

    /// All topics, sorted by name.
    pub fn all(&self) -> Vec<Arc<Topic>> {
        let mut v: Vec<_> = self.read().by_name.values().cloned().collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    /// Add or replace a topic (writer only, after COMMIT).
    pub fn publish_topic(&self, topic: Topic) -> Arc<Topic> {
        let mut published = self.publish_topics(vec![topic]);
        published.remove(0)
    }

    /// Add or replace topics (writer only, after COMMIT).
    pub fn publish_topics(&self, topics: Vec<Topic>) -> Vec<Arc<Topic>> {
        let mut out = Vec::with_capacity(topics.len());
        {
            let mut t = self.write();
            for topic in topics {
                let topic = Arc::new(topic);
                let old = t.by_name.insert(topic.name.clone(), topic.clone());
                if let Some(old) = &old {
                    t.by_id.remove(&old.id);
                }
                t.by_id.insert(topic.id, topic.clone());
                let before = old.map_or(0, |o| o.partitions.len());
                self.partitions
                    .fetch_add(topic.partitions.len(), Ordering::Relaxed);
                self.partitions.fetch_sub(before, Ordering::Relaxed);
                out.push(topic);
            }
            self.version.fetch_add(1, Ordering::Release);
        }
        out
    }

    /// Remove a topic (writer only, after COMMIT).
    pub fn remove_topic(&self, name: &str) -> Option<Arc<Topic>> {
        let mut t = self.write();
        let removed = t.by_name.remove(name);
        if let Some(topic) = &removed {
            t.by_id.remove(&topic.id);
            self.partitions
                .fetch_sub(topic.partitions.len(), Ordering::Relaxed);
            self.version.fetch_add(1, Ordering::Release);
        }
        removed
    }

    /// Changes whenever the set of topics (or a topic's partitions) changes.
    pub fn topics_version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// Topics held.
    pub fn topic_count(&self) -> usize {
        self.read().by_name.len()
    }

    /// Partitions across all topics.
    pub fn partition_count(&self) -> usize {
        self.partitions.load(Ordering::Relaxed)
    }

    /// The log cache all partitions share.
    pub fn cache(&self) -> &Arc<Cache> {
        &self.cache
    }

    /// A partition log counted in this registry's cache.
    pub fn new_log(
        &self,
        log_start_offset: i64,
        high_watermark: i64,
        tail: Vec<Batch>,
    ) -> Arc<PartitionLog> {
        Arc::new(PartitionLog::in_cache(
            &self.cache,
            log_start_offset,
            high_watermark,
            tail,
        ))
    }

    /// Bytes cached across all partitions.
    pub fn cached_bytes(&self) -> usize {
        self.read()
            .by_name
            .values()
            .flat_map(|t| t.partitions.iter())
            .map(|p| p.cached_bytes())
            .sum()
    }
}
