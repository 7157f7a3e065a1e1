//! Server-side assignors of the consumer protocol (KIP-848): "uniform" (the default) and
//! "range".
//!
//! Owns: the pure mapping from (members, their subscriptions and current partitions, the
//! subscribed topics' partition counts) to a target assignment. Must not touch: the lock,
//! timers, the registry, the wire format.
//!
//! Invariants: every partition of a topic that has at least one subscriber is assigned to
//! exactly one subscriber of it; nothing is assigned to a member not subscribed to its topic;
//! the work is bounded by members x partitions (no unbounded balancing loop).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use uuid::Uuid;

/// Partitions per topic id.
pub type TopicAssignment = BTreeMap<Uuid, BTreeSet<i32>>;

/// The assignor used when no member asks for one.
pub const DEFAULT_ASSIGNOR: &str = "uniform";

/// The assignors this broker runs.
pub const ASSIGNORS: [&str; 2] = ["uniform", "range"];

/// One member as an assignor sees it.
#[derive(Debug)]
pub(crate) struct AssignMember<'a> {
    pub id: &'a str,
    pub topics: &'a BTreeSet<String>,
    pub current: &'a TopicAssignment,
}

/// The target assignment of every member (members with nothing get an empty entry).
pub(crate) fn assign(
    assignor: &str,
    members: &[AssignMember<'_>],
    topics: &BTreeMap<String, (Uuid, i32)>,
) -> BTreeMap<String, TopicAssignment> {
    if assignor == "range" {
        range(members, topics)
    } else {
        uniform(members, topics)
    }
}

/// Subscribers of each topic, in member id order.
fn subscribers<'a>(
    members: &[AssignMember<'a>],
    topics: &BTreeMap<String, (Uuid, i32)>,
) -> BTreeMap<String, Vec<&'a str>> {
    let mut out: BTreeMap<String, Vec<&'a str>> = BTreeMap::new();
    for name in topics.keys() {
        let mut subs: Vec<&'a str> = members
            .iter()
            .filter(|m| m.topics.contains(name))
            .map(|m| m.id)
            .collect();
        subs.sort_unstable();
        out.insert(name.clone(), subs);
    }
    out
}

fn empty_targets(members: &[AssignMember<'_>]) -> BTreeMap<String, TopicAssignment> {
    members
        .iter()
        .map(|m| (m.id.to_owned(), TopicAssignment::new()))
        .collect()
}

/// Per topic, contiguous ranges of partitions to its subscribers sorted by member id; the first
/// `partitions % subscribers` members get one more.
fn range(
    members: &[AssignMember<'_>],
    topics: &BTreeMap<String, (Uuid, i32)>,
) -> BTreeMap<String, TopicAssignment> {
    let mut out = empty_targets(members);
    for (name, subs) in subscribers(members, topics) {
        let Some(&(id, count)) = topics.get(&name) else {
            continue;
        };
        let n = i32::try_from(subs.len()).unwrap_or(i32::MAX);
        if n == 0 || count <= 0 {
            continue;
        }
        let (per, extra) = (count / n, count % n);
        let mut start = 0;
        for (i, m) in (0..n).zip(subs) {
            let len = per + i32::from(i < extra);
            if len > 0 {
                let slot = out.entry(m.to_owned()).or_default().entry(id).or_default();
                slot.extend(start..start + len);
            }
            start += len;
        }
    }
    out
}

/// Spread every subscribed partition evenly, keeping each member's current partitions unless
/// that would leave it more than one partition above a co-subscriber.
fn uniform(
    members: &[AssignMember<'_>],
    topics: &BTreeMap<String, (Uuid, i32)>,
) -> BTreeMap<String, TopicAssignment> {
    let mut out = empty_targets(members);
    let mut count: HashMap<&str, usize> = members.iter().map(|m| (m.id, 0)).collect();
    let mut taken: HashSet<(Uuid, i32)> = HashSet::new();
    let by_id: HashMap<Uuid, (&String, i32)> =
        topics.iter().map(|(n, &(id, c))| (id, (n, c))).collect();
    // Sticky: a member keeps what it holds of topics it still subscribes to.
    for m in members {
        for (tid, parts) in m.current {
            let Some(&(name, partitions)) = by_id.get(tid) else {
                continue;
            };
            if !m.topics.contains(name) {
                continue;
            }
            for &p in parts {
                if (0..partitions).contains(&p) && taken.insert((*tid, p)) {
                    let slot = out.entry(m.id.to_owned()).or_default();
                    slot.entry(*tid).or_default().insert(p);
                    *count.entry(m.id).or_default() += 1;
                }
            }
        }
    }
    let subs = subscribers(members, topics);
    // Fill: each free partition goes to its least loaded subscriber.
    let mut total = 0usize;
    for (name, &(id, partitions)) in topics {
        let eligible = subs.get(name).map(Vec::as_slice).unwrap_or_default();
        for p in 0..partitions.max(0) {
            total += 1;
            if eligible.is_empty() || taken.contains(&(id, p)) {
                continue;
            }
            let best = eligible
                .iter()
                .min_by_key(|m| (count.get(*m).copied().unwrap_or(0), **m));
            if let Some(&b) = best {
                out.entry(b.to_owned())
                    .or_default()
                    .entry(id)
                    .or_default()
                    .insert(p);
                *count.entry(b).or_default() += 1;
                taken.insert((id, p));
            }
        }
    }
    // Balance: move a partition from the most to the least loaded co-subscriber while they
    // differ by more than one. Each move lowers the sum of squared loads; the cap bounds it.
    let mut moves = 0usize;
    loop {
        let mut moved = false;
        for (name, &(id, _)) in topics {
            let eligible = subs.get(name).map(Vec::as_slice).unwrap_or_default();
            if eligible.len() < 2 {
                continue;
            }
            let load = |m: &&str| count.get(m).copied().unwrap_or(0);
            let holds = |m: &&&str| {
                out.get(**m)
                    .and_then(|a| a.get(&id))
                    .is_some_and(|s| !s.is_empty())
            };
            let from = eligible
                .iter()
                .filter(holds)
                .max_by_key(|m| (load(m), std::cmp::Reverse(**m)));
            let to = eligible.iter().min_by_key(|m| (load(m), **m));
            let (Some(&a), Some(&b)) = (from, to) else {
                continue;
            };
            if load(&a) <= load(&b) + 1 {
                continue;
            }
            let p = out
                .get_mut(a)
                .and_then(|t| t.get_mut(&id))
                .and_then(|s| s.pop_last());
            if let Some(p) = p {
                if out
                    .get(a)
                    .and_then(|t| t.get(&id))
                    .is_some_and(BTreeSet::is_empty)
                {
                    if let Some(t) = out.get_mut(a) {
                        t.remove(&id);
                    }
                }
                out.entry(b.to_owned())
                    .or_default()
                    .entry(id)
                    .or_default()
                    .insert(p);
                *count.entry(a).or_default() -= 1;
                *count.entry(b).or_default() += 1;
                moved = true;
                moves += 1;
            }
        }
        if !moved || moves > total {
            break;
        }
    }
    out
}
