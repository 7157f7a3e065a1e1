//! Consumer groups with librdkafka's eager assignors (range, roundrobin): members of one group
//! split a 6-partition topic disjointly and completely; when one leaves the other owns all; a
//! third member that joins gets a share. DescribeGroups shows the members.

use std::collections::BTreeSet;

use pg_kafka_tests::groups::*;
use pg_kafka_tests::*;
use rdkafka::consumer::Consumer;

const PARTITIONS: i32 = 6;

#[test]
fn two_members_get_disjoint_complete_assignments() {
    let topic = unique_topic("groups-two");
    let group = unique_topic("groups-two-id");
    create_topic(&topic, PARTITIONS);

    let a = member(&group, &[]);
    let b = member(&group, &[]);
    a.subscribe(&[&topic]).expect("subscribe a");
    b.subscribe(&[&topic]).expect("subscribe b");
    let sets = poll_until(&[&a, &b], &topic, "two members split the topic", |s| {
        is_partition_of(s, PARTITIONS)
    });
    assert_eq!(
        sets.iter().map(BTreeSet::len).collect::<Vec<_>>(),
        vec![3, 3],
        "an even split: {sets:?}"
    );

    // DescribeGroups agrees: a Stable consumer group with both members.
    let list = a
        .fetch_group_list(Some(&group), PATIENCE)
        .expect("DescribeGroups");
    let info = list
        .groups()
        .iter()
        .find(|g| g.name() == group)
        .expect("group described");
    assert_eq!(info.state(), "Stable");
    assert_eq!(info.protocol_type(), "consumer");
    assert!(
        ["range", "roundrobin"].contains(&info.protocol()),
        "protocol {}",
        info.protocol()
    );
    assert_eq!(info.members().len(), 2);
    for m in info.members() {
        assert!(
            m.assignment().is_some_and(|a| !a.is_empty()),
            "member {} has an assignment",
            m.id()
        );
    }

    // ListGroups names it too.
    let all = a.fetch_group_list(None, PATIENCE).expect("ListGroups");
    assert!(all.groups().iter().any(|g| g.name() == group));
}

#[test]
fn when_one_member_leaves_the_other_owns_every_partition() {
    let topic = unique_topic("groups-leave");
    let group = unique_topic("groups-leave-id");
    create_topic(&topic, PARTITIONS);

    let a = member(&group, &[]);
    let b = member(&group, &[]);
    a.subscribe(&[&topic]).expect("subscribe a");
    b.subscribe(&[&topic]).expect("subscribe b");
    poll_until(&[&a, &b], &topic, "two members split the topic", |s| {
        is_partition_of(s, PARTITIONS)
    });

    // Closing a dynamic member sends LeaveGroup: the survivor is reassigned everything.
    drop(b);
    let sets = poll_until(&[&a], &topic, "the survivor owns all", |s| {
        s[0] == (0..PARTITIONS).collect::<BTreeSet<i32>>()
    });
    assert_eq!(sets[0].len(), PARTITIONS as usize);

    let list = a
        .fetch_group_list(Some(&group), PATIENCE)
        .expect("DescribeGroups");
    assert_eq!(list.groups()[0].members().len(), 1, "one member left");
}

#[test]
fn a_third_member_that_joins_gets_a_share() {
    let topic = unique_topic("groups-third");
    let group = unique_topic("groups-third-id");
    create_topic(&topic, PARTITIONS);

    let a = member(&group, &[]);
    let b = member(&group, &[]);
    a.subscribe(&[&topic]).expect("subscribe a");
    b.subscribe(&[&topic]).expect("subscribe b");
    poll_until(&[&a, &b], &topic, "two members split the topic", |s| {
        is_partition_of(s, PARTITIONS)
    });

    let c = member(&group, &[]);
    c.subscribe(&[&topic]).expect("subscribe c");
    let sets = poll_until(
        &[&a, &b, &c],
        &topic,
        "three members split the topic",
        |s| is_partition_of(s, PARTITIONS),
    );
    assert_eq!(
        sets.iter().map(BTreeSet::len).collect::<Vec<_>>(),
        vec![2, 2, 2],
        "every member gets an even share: {sets:?}"
    );
}
