//! The durable form of consumer-protocol groups: what goes in comes back, and a row edited into
//! nonsense loses only its broken members.

use std::collections::BTreeSet;

use tokio::time::Instant;

use crate::group::consumer::{CMember, ConsumerGroup};
use crate::group::consumer_rows::{from_row, to_row};
use crate::log::Registry;

fn group() -> (ConsumerGroup, uuid::Uuid) {
    let id = uuid::Uuid::new_v4();
    let mut g = ConsumerGroup::new();
    let mut m = CMember::new("m1".into(), 1, Instant::now());
    m.epoch = 4;
    m.previous_epoch = 3;
    m.rack_id = Some("r1".into());
    m.regex = Some("orders-.*".into());
    m.assignor = Some("range".into());
    m.subscribed = BTreeSet::from(["t".to_string()]);
    m.assigned.entry(id).or_default().extend([0, 2]);
    g.members.insert(m.id.clone(), m);
    g.epoch = 4;
    (g, id)
}

#[test]
fn a_group_and_its_members_come_back_from_their_row() {
    let (g, id) = group();
    let row = to_row("cg", &g);
    assert_eq!((row.generation_id, row.members.len()), (4, 1));
    let registry = Registry::new(1 << 20);
    let back = from_row(&row, &registry, || 9, Instant::now()).expect("restored");
    let m = &back.members["m1"];
    assert_eq!((m.epoch, m.previous_epoch), (4, 3));
    assert_eq!(m.rack_id.as_deref(), Some("r1"));
    assert_eq!(m.regex.as_deref(), Some("orders-.*"));
    assert_eq!(m.assignor.as_deref(), Some("range"));
    assert_eq!(m.subscribed, BTreeSet::from(["t".to_string()]));
    assert_eq!(m.assigned[&id], BTreeSet::from([0, 2]));
    assert_eq!(m.nonce, 9);
    // Its topic no longer exists: the epoch moves on so the member reconciles.
    assert_eq!(back.epoch, 5);
}

#[test]
fn broken_member_rows_are_left_out_and_never_over_read() {
    let (g, _) = group();
    let good = to_row("cg", &g);
    let registry = Registry::new(1 << 20);
    for cut in 0..good.members[0].metadata.len() {
        let mut row = good.clone();
        row.members[0].metadata.truncate(cut);
        assert!(
            from_row(&row, &registry, || 1, Instant::now()).is_none(),
            "cut at {cut}"
        );
    }
    let mut row = good.clone();
    // A name count far beyond the bytes there are.
    let at = row.members[0].metadata.len() - 4 - 1 - 4;
    row.members[0].metadata[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
    assert!(from_row(&row, &registry, || 1, Instant::now()).is_none());
    let mut row = good.clone();
    row.members[0].assignment = vec![0xff; 8];
    assert!(from_row(&row, &registry, || 1, Instant::now()).is_none());
    let mut two = good.clone();
    let mut second = good.members[0].clone();
    second.member_id = "m2".into();
    second.metadata = vec![7, 7, 7];
    two.members.push(second);
    let back = from_row(&two, &registry, || 1, Instant::now()).expect("the good member");
    assert_eq!(back.members.keys().collect::<Vec<_>>(), vec!["m1"]);
}
