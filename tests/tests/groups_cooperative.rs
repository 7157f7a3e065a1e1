//! cooperative-sticky (KIP-429): when a third member joins a two-member group, the existing
//! members give up only what moves, in incremental revocations, and keep the rest throughout.

use std::collections::BTreeSet;

use pg_kafka_tests::groups::*;
use pg_kafka_tests::*;
use rdkafka::consumer::{Consumer, RebalanceProtocol};

const PARTITIONS: i32 = 6;
const COOPERATIVE: &[(&str, &str)] = &[("partition.assignment.strategy", "cooperative-sticky")];

/// Replays `events` from `owned` and checks that no revocation takes everything a member owns and
/// that every revoked partition was owned. Returns what the member owns at the end.
fn replay(who: &str, mut owned: BTreeSet<i32>, events: &[RebalanceEvent]) -> BTreeSet<i32> {
    for e in events {
        match e {
            RebalanceEvent::Assign(p) => owned.extend(p.iter().copied()),
            RebalanceEvent::Revoke(p) => {
                let revoked: BTreeSet<i32> = p.iter().copied().collect();
                assert!(
                    revoked.is_subset(&owned),
                    "{who}: revoked {revoked:?} but owned {owned:?}"
                );
                assert!(
                    revoked != owned,
                    "{who}: all its partitions {owned:?} were revoked at once; events {events:?}"
                );
                owned = owned.difference(&revoked).copied().collect();
            }
            RebalanceEvent::Error(err) => panic!("{who}: rebalance error {err}"),
        }
    }
    owned
}

#[test]
fn a_third_cooperative_member_joins_with_incremental_revocations() {
    let topic = unique_topic("groups-coop");
    let group = unique_topic("groups-coop-id");
    create_topic(&topic, PARTITIONS);

    let a = member(&group, COOPERATIVE);
    let b = member(&group, COOPERATIVE);
    a.subscribe(&[&topic]).expect("subscribe a");
    b.subscribe(&[&topic]).expect("subscribe b");
    let before = poll_until(&[&a, &b], &topic, "two members split the topic", |s| {
        is_partition_of(s, PARTITIONS)
    });
    assert!(
        matches!(a.rebalance_protocol(), RebalanceProtocol::Cooperative),
        "librdkafka runs the cooperative protocol"
    );
    let marks = [a.context().snapshot().len(), b.context().snapshot().len()];

    let c = member(&group, COOPERATIVE);
    c.subscribe(&[&topic]).expect("subscribe c");
    let after = poll_until(
        &[&a, &b, &c],
        &topic,
        "three members split the topic",
        |s| is_partition_of(s, PARTITIONS),
    );
    assert_eq!(
        after.iter().map(BTreeSet::len).collect::<Vec<_>>(),
        vec![2, 2, 2],
        "every member gets an even share: {after:?}"
    );

    for (i, (who, m)) in [("a", &a), ("b", &b)].into_iter().enumerate() {
        let events = m.context().snapshot()[marks[i]..].to_vec();
        let owned = replay(who, before[i].clone(), &events);
        assert_eq!(
            owned, after[i],
            "{who}: replayed events match its assignment"
        );
        assert!(
            after[i].is_subset(&before[i]),
            "{who}: sticky, kept {:?} of {:?}",
            after[i],
            before[i]
        );
    }
    let c_events = c.context().snapshot();
    assert!(
        c_events
            .iter()
            .all(|e| matches!(e, RebalanceEvent::Assign(_))),
        "the new member is only assigned: {c_events:?}"
    );
}
