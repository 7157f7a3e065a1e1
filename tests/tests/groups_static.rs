//! Static membership (KIP-345): a member with a group.instance.id that restarts within the
//! session timeout gets its assignment back without a rebalance of the other members.

use std::collections::BTreeSet;

use pg_kafka_tests::groups::*;
use pg_kafka_tests::*;
use rdkafka::consumer::Consumer;

const PARTITIONS: i32 = 6;

#[test]
fn a_static_member_that_restarts_gets_its_assignment_back_without_a_rebalance() {
    let topic = unique_topic("groups-static");
    let group = unique_topic("groups-static-id");
    let instance_a = unique_topic("instance-a");
    let instance_b = unique_topic("instance-b");
    create_topic(&topic, PARTITIONS);
    // The restart happens long before the session timeout: the coordinator keeps the member.
    let cfg = |instance: &str| {
        member(
            &group,
            &[
                ("group.instance.id", instance),
                ("session.timeout.ms", "45000"),
            ],
        )
    };

    let a = cfg(&instance_a);
    let b = cfg(&instance_b);
    a.subscribe(&[&topic]).expect("subscribe a");
    b.subscribe(&[&topic]).expect("subscribe b");
    let before = poll_until(
        &[&a, &b],
        &topic,
        "two static members split the topic",
        |s| is_partition_of(s, PARTITIONS),
    );
    let b_events_before = b.context().snapshot().len();

    // librdkafka closes a static member without LeaveGroup.
    drop(a);
    let a2 = cfg(&instance_a);
    a2.subscribe(&[&topic]).expect("subscribe a again");
    let after = poll_until(
        &[&a2, &b],
        &topic,
        "the restarted static member is assigned",
        |s| !s[0].is_empty(),
    );

    assert_eq!(after[0], before[0], "the restarted member's assignment");
    assert_eq!(after[1], before[1], "the other member's assignment");
    assert_eq!(
        a2.context().snapshot(),
        vec![RebalanceEvent::Assign(before[0].iter().copied().collect())],
        "the restarted member is assigned its old partitions once"
    );
    // Had the group rebalanced, the other member would have had to rejoin before the restarted
    // one could be assigned, and an eager member revokes everything before it rejoins.
    assert_eq!(
        b.context().snapshot()[b_events_before..].to_vec(),
        Vec::<RebalanceEvent>::new(),
        "the other member saw no rebalance"
    );
    let all: BTreeSet<i32> = after.iter().flatten().copied().collect();
    assert_eq!(all.len(), PARTITIONS as usize);
}
