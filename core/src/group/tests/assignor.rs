//! The consumer-protocol assignors (range and uniform).

use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

use crate::group::assignor::*;

fn topic(n: i32) -> (BTreeMap<String, (Uuid, i32)>, Uuid) {
    let id = Uuid::from_u128(7);
    (BTreeMap::from([("t".to_owned(), (id, n))]), id)
}

#[test]
fn uniform_keeps_current_partitions_when_balanced() {
    let (topics, id) = topic(6);
    let subs = BTreeSet::from(["t".to_owned()]);
    let a_cur = TopicAssignment::from([(id, BTreeSet::from([0, 1, 2, 3, 4, 5]))]);
    let none = TopicAssignment::new();
    let members = [
        AssignMember {
            id: "a",
            topics: &subs,
            current: &a_cur,
        },
        AssignMember {
            id: "b",
            topics: &subs,
            current: &none,
        },
    ];
    let out = assign("uniform", &members, &topics);
    assert_eq!(out["a"][&id], BTreeSet::from([0, 1, 2]));
    assert_eq!(out["b"][&id], BTreeSet::from([3, 4, 5]));
}

#[test]
fn range_gives_contiguous_ranges_by_member_id() {
    let (topics, id) = topic(7);
    let subs = BTreeSet::from(["t".to_owned()]);
    let none = TopicAssignment::new();
    let members = [
        AssignMember {
            id: "b",
            topics: &subs,
            current: &none,
        },
        AssignMember {
            id: "a",
            topics: &subs,
            current: &none,
        },
    ];
    let out = assign("range", &members, &topics);
    assert_eq!(out["a"][&id], BTreeSet::from([0, 1, 2, 3]));
    assert_eq!(out["b"][&id], BTreeSet::from([4, 5, 6]));
}

mod properties {
    use std::collections::{BTreeMap, BTreeSet};

    use proptest::prelude::*;
    use uuid::Uuid;

    use crate::group::assignor::*;

    /// A member: subscriptions as topic indexes, current partitions as (topic, partition) picks.
    type Member = (Vec<usize>, Vec<(usize, i32)>);

    /// Members, and topics as partition counts.
    fn group() -> impl Strategy<Value = (Vec<Member>, Vec<i32>)> {
        let topics = prop::collection::vec(1i32..24, 1..5);
        let members = prop::collection::vec(
            (
                prop::collection::vec(0usize..5, 0..5),
                prop::collection::vec((0usize..5, 0i32..24), 0..12),
            ),
            1..9,
        );
        (members, topics)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn every_assignor_gives_each_subscribed_partition_to_exactly_one_subscriber(
            (members, counts) in group(),
            which in 0..ASSIGNORS.len(),
        ) {
            let names: Vec<String> = (0..counts.len()).map(|i| format!("t{i}")).collect();
            let topics: BTreeMap<String, (Uuid, i32)> = names
                .iter()
                .zip(&counts)
                .enumerate()
                .map(|(i, (n, c))| (n.clone(), (Uuid::from_u128(i as u128 + 1), *c)))
                .collect();
            let ids: Vec<String> = (0..members.len()).map(|i| format!("m{i}")).collect();
            let subs: Vec<BTreeSet<String>> = members
                .iter()
                .map(|(s, _)| s.iter().filter(|t| **t < names.len()).map(|t| names[*t].clone()).collect())
                .collect();
            // Current ownership as a real group has it: each partition owned by at most one.
            let mut owned = BTreeSet::new();
            let current: Vec<TopicAssignment> = members
                .iter()
                .map(|(_, picks)| {
                    let mut a = TopicAssignment::new();
                    for (t, p) in picks {
                        if *t < names.len() && *p < counts[*t] && owned.insert((*t, *p)) {
                            a.entry(topics[&names[*t]].0).or_default().insert(*p);
                        }
                    }
                    a
                })
                .collect();
            let input: Vec<AssignMember<'_>> = ids
                .iter()
                .zip(&subs)
                .zip(&current)
                .map(|((id, topics), current)| AssignMember { id, topics, current })
                .collect();
            let out = assign(ASSIGNORS[which], &input, &topics);

            prop_assert_eq!(out.len(), ids.len(), "every member gets an entry");
            for (name, (id, count)) in &topics {
                let subscribed: BTreeSet<&str> = ids
                    .iter()
                    .zip(&subs)
                    .filter(|(_, s)| s.contains(name))
                    .map(|(m, _)| m.as_str())
                    .collect();
                for p in 0..*count {
                    let holders: Vec<&str> = out
                        .iter()
                        .filter(|(_, a)| a.get(id).is_some_and(|ps| ps.contains(&p)))
                        .map(|(m, _)| m.as_str())
                        .collect();
                    if subscribed.is_empty() {
                        prop_assert!(holders.is_empty(), "{}-{} has no subscriber", name, p);
                    } else {
                        prop_assert_eq!(holders.len(), 1, "{}-{} held by {:?}", name, p, holders);
                        prop_assert!(subscribed.contains(holders[0]));
                    }
                }
                for a in out.values() {
                    prop_assert!(a.get(id).is_none_or(|ps| ps.iter().all(|p| *p < *count)));
                }
            }
        }
    }
}
