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
