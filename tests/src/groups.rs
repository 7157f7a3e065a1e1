//! Consumer-group helpers for the black-box tests: topics with a given partition count, group
//! members whose context records every rebalance callback, and polling several members until a
//! condition over their assignments holds.
//!
//! Talks to the broker over TCP only; owns no broker state.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::ClientContext;

use crate::{base_config, block_on, consumer_config, PATIENCE};

/// Creates `topic` with `partitions` partitions; panics unless the broker created it.
pub fn create_topic(topic: &str, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> =
        base_config().create().expect("create admin client");
    let res = block_on(admin.create_topics(
        &[NewTopic::new(topic, partitions, TopicReplication::Fixed(1))],
        &AdminOptions::new(),
    ))
    .expect("CreateTopics");
    for r in res {
        r.unwrap_or_else(|(t, e)| panic!("create topic {t}: {e}"));
    }
}

/// One rebalance callback as librdkafka delivered it: the partitions it names, sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RebalanceEvent {
    Assign(Vec<i32>),
    Revoke(Vec<i32>),
    Error(String),
}

/// A consumer context that records every rebalance callback (before it is applied).
#[derive(Default, Clone)]
pub struct RebalanceLog {
    pub events: Arc<Mutex<Vec<RebalanceEvent>>>,
}

impl RebalanceLog {
    /// A copy of the events so far.
    pub fn snapshot(&self) -> Vec<RebalanceEvent> {
        self.events.lock().expect("rebalance log lock").clone()
    }
}

impl ClientContext for RebalanceLog {}

impl ConsumerContext for RebalanceLog {
    fn pre_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let partitions = |tpl: &rdkafka::TopicPartitionList| partitions_of(tpl, None);
        let event = match rebalance {
            Rebalance::Assign(tpl) => RebalanceEvent::Assign(partitions(tpl)),
            Rebalance::Revoke(tpl) => RebalanceEvent::Revoke(partitions(tpl)),
            Rebalance::Error(e) => RebalanceEvent::Error(e.to_string()),
        };
        self.events.lock().expect("rebalance log lock").push(event);
    }
}

/// A group member subscribed to nothing yet; `extra` overrides the defaults (a 10 s session
/// timeout, 500 ms heartbeats, offsets committed only when a test says so).
pub fn member(group: &str, extra: &[(&str, &str)]) -> BaseConsumer<RebalanceLog> {
    let mut c = consumer_config(&[
        ("group.id", group),
        ("session.timeout.ms", "10000"),
        ("heartbeat.interval.ms", "500"),
    ]);
    for (k, v) in extra {
        c.set(*k, *v);
    }
    c.create_with_context(RebalanceLog::default())
        .expect("create group member")
}

/// The partitions of `topic` currently assigned to `c`, sorted.
pub fn assigned<C: ConsumerContext>(c: &BaseConsumer<C>, topic: &str) -> BTreeSet<i32> {
    partitions_of(&c.assignment().expect("assignment"), Some(topic))
        .into_iter()
        .collect()
}

/// The partitions a list names (of `topic` only, when given), sorted. rdkafka 0.33 builds a
/// slice from the list's element pointer even when librdkafka left it null (an empty list in a
/// cooperative rebalance callback), which is undefined behaviour: empty lists are not read.
fn partitions_of(tpl: &rdkafka::TopicPartitionList, topic: Option<&str>) -> Vec<i32> {
    if tpl.count() == 0 {
        return Vec::new();
    }
    let mut p: Vec<i32> = tpl
        .elements()
        .iter()
        .filter(|e| topic.is_none_or(|t| e.topic() == t))
        .map(|e| e.partition())
        .collect();
    p.sort_unstable();
    p
}

/// Polls every member in turn (serving rebalance callbacks and heartbeats-driven rejoins) until
/// `done` holds. Records that arrive are dropped: callers use empty topics or do not care.
/// Panics with `what` and the last assignments after `PATIENCE`.
pub fn poll_until<C: ConsumerContext>(
    members: &[&BaseConsumer<C>],
    topic: &str,
    what: &str,
    mut done: impl FnMut(&[BTreeSet<i32>]) -> bool,
) -> Vec<BTreeSet<i32>> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        for m in members {
            if let Some(Err(e)) = m.poll(Duration::from_millis(50)) {
                panic!("{what}: poll error {e}");
            }
        }
        let now: Vec<BTreeSet<i32>> = members.iter().map(|m| assigned(m, topic)).collect();
        if done(&now) {
            return now;
        }
        assert!(Instant::now() < deadline, "{what}: assignments now {now:?}");
    }
}

/// The assignments are pairwise disjoint and together cover `0..partitions`, each non-empty.
pub fn is_partition_of(sets: &[BTreeSet<i32>], partitions: i32) -> bool {
    let total: usize = sets.iter().map(BTreeSet::len).sum();
    let union: BTreeSet<i32> = sets.iter().flatten().copied().collect();
    sets.iter().all(|s| !s.is_empty())
        && total == union.len()
        && union == (0..partitions).collect::<BTreeSet<i32>>()
}
