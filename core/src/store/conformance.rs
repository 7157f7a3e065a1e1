//! The store conformance suite: what every [`Store`] must do, written once and run on each store
//! (`MemStore` under `cargo test`, the SPI store under `cargo pgrx test`).
//!
//! Each case is a function over a store that may already hold other data: it makes its own
//! topics (fresh ids, unique names) and looks only at them. A case panics on the first thing the
//! store got wrong. Compiled for tests and with the `conformance` feature only.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use uuid::Uuid;

use super::{
    AbortedTxnRow, GroupRow, MemberRow, OffsetRow, PartitionRow, ProducerRow, Store, TopicRow,
    TxnPartitionRow, TxnRow, WriteSet, PRODUCER_BATCHES_KEPT,
};
use crate::log::{Batch, ReadResult, Registry};
use crate::protocol::batch::{attributes, stamp_base_offset};

/// One case of the suite.
pub type Case = fn(&mut dyn Store);

/// Every case, by name, for the runners that list them one by one.
pub const CASES: &[(&str, Case)] = &[
    ("commits_are_read_back", commits_are_read_back),
    (
        "a_failed_commit_writes_nothing_and_its_offsets_land_next_time",
        a_failed_commit_writes_nothing_and_its_offsets_land_next_time,
    ),
    (
        "groups_offsets_and_producer_state_round_trip",
        groups_offsets_and_producer_state_round_trip,
    ),
    (
        "group_changes_apply_in_their_documented_order",
        group_changes_apply_in_their_documented_order,
    ),
    (
        "expiries_remove_only_what_is_still_expired",
        expiries_remove_only_what_is_still_expired,
    ),
    (
        "deleting_a_topic_removes_its_batches_heads_and_offsets",
        deleting_a_topic_removes_its_batches_heads_and_offsets,
    ),
    (
        "recovery_rebuilds_memory_from_what_was_committed",
        recovery_rebuilds_memory_from_what_was_committed,
    ),
    (
        "cleaner_changes_remove_replace_and_checkpoint",
        cleaner_changes_remove_replace_and_checkpoint,
    ),
];

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A topic no other case (or run) uses.
fn topic(partitions: i32) -> TopicRow {
    let id = Uuid::new_v4();
    TopicRow {
        id,
        name: format!(
            "conformance-{}-{}",
            NEXT.fetch_add(1, Ordering::Relaxed),
            id.simple()
        ),
        partitions,
        configs: BTreeMap::from([("retention.ms".to_string(), "1000".to_string())]),
    }
}

/// A batch of `count` records at `base`: its bytes carry the offset so a read can be checked.
fn batch(base: i64, count: i32, max_timestamp: i64, size: usize) -> Batch {
    let mut bytes = vec![(base % 251) as u8; size.max(8)];
    stamp_base_offset(&mut bytes, base);
    Batch {
        base_offset: base,
        last_offset: base + i64::from(count) - 1,
        base_timestamp: max_timestamp - i64::from(count) + 1,
        max_timestamp,
        record_count: count,
        attributes: 0,
        producer_id: -1,
        producer_epoch: -1,
        base_sequence: -1,
        bytes: Bytes::from(bytes),
    }
}

fn head(t: &TopicRow, partition: i32, next_offset: i64, log_start_offset: i64) -> PartitionRow {
    PartitionRow {
        topic_id: t.id,
        partition,
        next_offset,
        log_start_offset,
        ..PartitionRow::default()
    }
}

fn created(t: &TopicRow) -> WriteSet {
    WriteSet {
        create_topics: vec![t.clone()],
        ..WriteSet::default()
    }
}

fn offsets(batches: &[Batch]) -> Vec<(i64, i64)> {
    batches
        .iter()
        .map(|b| (b.base_offset, b.last_offset))
        .collect()
}

fn heads_of(store: &mut dyn Store, t: &TopicRow) -> Vec<(i32, i64, i64)> {
    let mut heads: Vec<_> = store
        .load_topics()
        .expect("load_topics")
        .partitions
        .into_iter()
        .filter(|p| p.topic_id == t.id)
        .map(|p| (p.partition, p.next_offset, p.log_start_offset))
        .collect();
    heads.sort_unstable();
    heads
}

fn group(id: &str) -> GroupRow {
    let member = |m: &str| MemberRow {
        member_id: m.into(),
        client_id: "client".into(),
        client_host: "/127.0.0.1".into(),
        session_timeout_ms: 45_000,
        rebalance_timeout_ms: 300_000,
        metadata: vec![1, 2],
        assignment: vec![3, 4, 5],
        ..MemberRow::default()
    };
    GroupRow {
        group_id: id.into(),
        protocol_type: Some("consumer".into()),
        protocol_name: Some("range".into()),
        generation_id: 3,
        leader_id: Some("m1".into()),
        state: "Stable".into(),
        members: vec![member("m1"), member("m2")],
    }
}

fn offset(group: &str, t: &TopicRow, partition: i32, committed: i64) -> OffsetRow {
    OffsetRow {
        group_id: group.into(),
        topic_id: t.id,
        partition,
        committed_offset: committed,
        leader_epoch: -1,
        metadata: Some("m".into()),
        commit_timestamp: 1_700_000_000_000,
    }
}

/// Topics, heads, batches and the three reads come back as committed.
pub fn commits_are_read_back(store: &mut dyn Store) {
    let t = topic(2);
    store.commit(&created(&t)).expect("create");
    let ws = WriteSet {
        appends: vec![
            (t.id, 0, batch(0, 2, 101, 100)),
            (t.id, 0, batch(2, 3, 202, 100)),
            (t.id, 0, batch(5, 1, 150, 100)),
        ],
        heads: vec![head(&t, 0, 6, 0)],
        ..WriteSet::default()
    };
    store.commit(&ws).expect("append");

    let snap = store.load_topics().expect("load_topics");
    let row = snap.topics.iter().find(|r| r.id == t.id).expect("topic");
    assert_eq!((&row.name, row.partitions), (&t.name, 2));
    assert_eq!(row.configs, t.configs);
    assert_eq!(heads_of(store, &t), vec![(0, 6, 0), (1, 0, 0)]);

    let read = |s: &mut dyn Store, from, max| s.read_batches(t.id, 0, from, max).expect("read");
    assert_eq!(offsets(&read(store, 3, 1000)), vec![(2, 4), (5, 5)]);
    assert_eq!(
        offsets(&read(store, 3, 10)),
        vec![(2, 4)],
        "the first batch always"
    );
    assert_eq!(offsets(&read(store, 0, 250)), vec![(0, 1), (2, 4)]);
    assert!(read(store, 6, 1000).is_empty());
    let got = read(store, 0, 1000);
    assert_eq!(
        got,
        ws.appends.iter().map(|a| a.2.clone()).collect::<Vec<_>>()
    );
    assert!(store.read_batches(t.id, 1, 0, 1000).unwrap().is_empty());

    let tail = |s: &mut dyn Store, budget| s.load_tail(t.id, 0, budget).expect("tail");
    assert!(
        tail(store, 50).is_empty(),
        "nothing when the newest alone is larger"
    );
    assert_eq!(offsets(&tail(store, 150)), vec![(5, 5)]);
    assert_eq!(offsets(&tail(store, 250)), vec![(2, 4), (5, 5)]);
    assert_eq!(offsets(&tail(store, 10_000)), vec![(0, 1), (2, 4), (5, 5)]);

    let by_ts = |s: &mut dyn Store, from, ts| s.find_by_timestamp(t.id, 0, from, ts).unwrap();
    assert_eq!(by_ts(store, 0, 150).map(|b| b.base_offset), Some(2));
    assert_eq!(by_ts(store, 0, 0).map(|b| b.base_offset), Some(0));
    assert_eq!(by_ts(store, 5, 0).map(|b| b.base_offset), Some(5));
    assert_eq!(by_ts(store, 0, 203).map(|b| b.base_offset), None);
    let max = |s: &mut dyn Store, from| s.find_max_timestamp(t.id, 0, from).unwrap();
    assert_eq!(max(store, 0).map(|b| b.base_offset), Some(2));
    assert_eq!(max(store, 5).map(|b| b.base_offset), Some(5));
    assert_eq!(max(store, 6).map(|b| b.base_offset), None);
}

/// A commit that cannot be stored (here: it holds an offset already stored, which the offsets'
/// uniqueness refuses) leaves nothing of itself behind, and the same offsets commit next time.
pub fn a_failed_commit_writes_nothing_and_its_offsets_land_next_time(store: &mut dyn Store) {
    let t = topic(1);
    let gid = format!("{}-group", t.name);
    store.commit(&created(&t)).expect("create");
    let first = batch(0, 2, 10, 64);
    let ws = WriteSet {
        appends: vec![(t.id, 0, first.clone())],
        heads: vec![head(&t, 0, 2, 0)],
        ..WriteSet::default()
    };
    store.commit(&ws).expect("first append");

    let next = batch(2, 2, 20, 64);
    let mut attempt = WriteSet {
        appends: vec![(t.id, 0, next.clone())],
        heads: vec![head(&t, 0, 4, 0)],
        put_groups: vec![group(&gid)],
        commit_offsets: vec![offset(&gid, &t, 0, 2)],
        put_producers: vec![ProducerRow {
            producer_id: 900_000 + i64::from(NEXT.fetch_add(1, Ordering::Relaxed)),
            producer_epoch: 0,
            transactional_id: None,
        }],
        ..WriteSet::default()
    };
    let mut failing = WriteSet {
        appends: vec![(t.id, 0, next.clone()), (t.id, 0, first.clone())],
        ..WriteSet::default()
    };
    failing.heads = attempt.heads.clone();
    failing.put_groups = attempt.put_groups.clone();
    failing.commit_offsets = attempt.commit_offsets.clone();
    failing.put_producers = attempt.put_producers.clone();
    assert!(store.commit(&failing).is_err(), "a stored offset twice");

    let snap = store.load_topics().unwrap();
    assert_eq!(heads_of(store, &t), vec![(0, 2, 0)], "head unchanged");
    assert!(!snap.groups.iter().any(|g| g.group_id == gid), "no group");
    assert!(!snap.offsets.iter().any(|o| o.group_id == gid), "no offset");
    let pid = attempt.put_producers[0].producer_id;
    assert!(!snap.producers.iter().any(|p| p.producer_id == pid));
    let stored = store.read_batches(t.id, 0, 0, 1 << 20).unwrap();
    assert_eq!(offsets(&stored), vec![(0, 1)], "nothing appended");

    attempt.appends = vec![(t.id, 0, next.clone())];
    store.commit(&attempt).expect("the same offsets, now alone");
    let stored = store.read_batches(t.id, 0, 0, 1 << 20).unwrap();
    assert_eq!(stored, vec![first, next]);
    assert_eq!(heads_of(store, &t), vec![(0, 4, 0)]);
    let snap = store.load_topics().unwrap();
    assert!(snap.groups.iter().any(|g| g.group_id == gid));
    assert!(snap.producers.iter().any(|p| p.producer_id == pid));
}

/// Groups with members, offsets (last write of a key wins), producers, transactions with their
/// partitions, aborted transactions, and the newest batches of each producer per partition.
pub fn groups_offsets_and_producer_state_round_trip(store: &mut dyn Store) {
    let t = topic(2);
    let gid = format!("{}-group", t.name);
    let tid = format!("{}-txn", t.name);
    let pid = 800_000 + i64::from(NEXT.fetch_add(1, Ordering::Relaxed)) * 10;
    store.commit(&created(&t)).expect("create");

    let mut appends = Vec::new();
    for i in 0..(PRODUCER_BATCHES_KEPT as i64 + 2) {
        let mut b = batch(i * 2, 2, 100 + i, 32);
        b.producer_id = pid;
        b.producer_epoch = 1;
        b.base_sequence = (i * 2) as i32;
        appends.push((t.id, 0, b));
    }
    let mut marker = batch(appends.len() as i64 * 2, 1, 999, 32);
    marker.producer_id = pid;
    marker.producer_epoch = 1;
    marker.attributes = attributes::MARKER;
    appends.push((t.id, 0, marker));
    let end = appends.last().map_or(0, |a| a.2.last_offset + 1);
    let ws = WriteSet {
        appends,
        heads: vec![head(&t, 0, end, 0)],
        put_groups: vec![group(&gid)],
        commit_offsets: vec![offset(&gid, &t, 1, 4), offset(&gid, &t, 1, 7)],
        put_producers: vec![ProducerRow {
            producer_id: pid,
            producer_epoch: 1,
            transactional_id: Some(tid.clone()),
        }],
        put_transactions: vec![TxnRow {
            transactional_id: tid.clone(),
            producer_id: pid,
            producer_epoch: 1,
            last_producer_epoch: -1,
            state: "Ongoing".into(),
            timeout_ms: 60_000,
            start_timestamp: 1_700_000_000_000,
            partitions: vec![TxnPartitionRow {
                topic_id: t.id,
                partition: 0,
                first_offset: 4,
            }],
        }],
        aborted_txns: vec![AbortedTxnRow {
            topic_id: t.id,
            partition: 1,
            producer_id: pid,
            first_offset: 0,
            last_offset: 3,
        }],
        ..WriteSet::default()
    };
    store.commit(&ws).expect("commit");

    let snap = store.load_topics().unwrap();
    let g = snap
        .groups
        .iter()
        .find(|g| g.group_id == gid)
        .expect("group");
    assert_eq!(*g, ws.put_groups[0]);
    let o: Vec<_> = snap.offsets.iter().filter(|o| o.group_id == gid).collect();
    assert_eq!(
        o,
        vec![&ws.commit_offsets[1]],
        "the last write of a key wins"
    );
    assert!(snap.producers.contains(&ws.put_producers[0]));
    let txn = snap.transactions.iter().find(|x| x.transactional_id == tid);
    assert_eq!(txn, Some(&ws.put_transactions[0]));
    let aborted: Vec<_> = snap
        .aborted_txns
        .iter()
        .filter(|a| a.topic_id == t.id)
        .collect();
    assert_eq!(aborted, vec![&ws.aborted_txns[0]]);
    let mut recent: Vec<i64> = snap
        .producer_batches
        .iter()
        .filter(|b| b.topic_id == t.id && b.producer_id == pid)
        .map(|b| b.base_offset)
        .collect();
    recent.sort_unstable();
    let expected: Vec<i64> = (2..(PRODUCER_BATCHES_KEPT as i64 + 2))
        .map(|i| i * 2)
        .collect();
    assert_eq!(
        recent, expected,
        "the newest five, control batches left out"
    );

    let ws = WriteSet {
        delete_groups: vec![gid.clone()],
        ..WriteSet::default()
    };
    store.commit(&ws).expect("delete group");
    let snap = store.load_topics().unwrap();
    assert!(!snap.groups.iter().any(|g| g.group_id == gid));
    assert!(!snap.offsets.iter().any(|o| o.group_id == gid));
}

/// One write set deletes groups (with their offsets), then writes group rows, then deletes
/// offsets, then commits offsets.
pub fn group_changes_apply_in_their_documented_order(store: &mut dyn Store) {
    let t = topic(2);
    let (again, gone) = (format!("{}-again", t.name), format!("{}-gone", t.name));
    store.commit(&created(&t)).expect("create");
    let ws = WriteSet {
        put_groups: vec![group(&again), group(&gone)],
        commit_offsets: vec![
            offset(&again, &t, 0, 1),
            offset(&gone, &t, 0, 1),
            offset(&gone, &t, 1, 1),
        ],
        ..WriteSet::default()
    };
    store.commit(&ws).expect("fill");
    let mut row = group(&again);
    row.generation_id = 9;
    let ws = WriteSet {
        delete_groups: vec![again.clone(), gone.clone()],
        put_groups: vec![row.clone()],
        delete_offsets: vec![(again.clone(), t.id, 1)],
        commit_offsets: vec![offset(&again, &t, 0, 5)],
        ..WriteSet::default()
    };
    store.commit(&ws).expect("changes");
    let snap = store.load_topics().unwrap();
    let groups: Vec<&GroupRow> = snap
        .groups
        .iter()
        .filter(|g| g.group_id == again || g.group_id == gone)
        .collect();
    assert_eq!(groups, vec![&row], "deleted, then written again");
    let mut offsets: Vec<(String, i32, i64)> = snap
        .offsets
        .iter()
        .filter(|o| o.topic_id == t.id)
        .map(|o| (o.group_id.clone(), o.partition, o.committed_offset))
        .collect();
    offsets.sort();
    assert_eq!(offsets, vec![(again, 0, 5)]);
}

/// Expired offsets go unless committed again since; expired groups go only when bare.
pub fn expiries_remove_only_what_is_still_expired(store: &mut dyn Store) {
    use super::ExpiredOffset;
    let t = topic(2);
    let (idle, busy) = (format!("{}-idle", t.name), format!("{}-busy", t.name));
    store.commit(&created(&t)).expect("create");
    let mut idle_row = group(&idle);
    idle_row.generation_id = 0;
    idle_row.members.clear();
    let mut fresh = offset(&busy, &t, 1, 8);
    fresh.commit_timestamp = 2_000;
    let mut old = offset(&idle, &t, 0, 3);
    old.commit_timestamp = 1_000;
    let ws = WriteSet {
        put_groups: vec![idle_row, group(&busy)],
        commit_offsets: vec![old, fresh],
        ..WriteSet::default()
    };
    store.commit(&ws).expect("fill");
    let expire = |g: &str, p: i32| ExpiredOffset {
        group_id: g.into(),
        topic_id: t.id,
        partition: p,
        before_ms: 1_500,
    };
    let ws = WriteSet {
        expire_offsets: vec![expire(&idle, 0), expire(&busy, 1)],
        expire_groups: vec![idle.clone(), busy.clone()],
        ..WriteSet::default()
    };
    store.commit(&ws).expect("expire");
    let snap = store.load_topics().unwrap();
    let groups: Vec<&str> = snap
        .groups
        .iter()
        .map(|g| g.group_id.as_str())
        .filter(|g| *g == idle || *g == busy)
        .collect();
    assert_eq!(
        groups,
        vec![busy.as_str()],
        "the bare group went, the one with members stayed"
    );
    let offsets: Vec<(&str, i64)> = snap
        .offsets
        .iter()
        .filter(|o| o.topic_id == t.id)
        .map(|o| (o.group_id.as_str(), o.committed_offset))
        .collect();
    assert_eq!(
        offsets,
        vec![(busy.as_str(), 8)],
        "committed after the cutoff: kept"
    );
}

/// A deleted topic leaves no batch, head, committed offset or aborted-transaction row.
pub fn deleting_a_topic_removes_its_batches_heads_and_offsets(store: &mut dyn Store) {
    let t = topic(1);
    let gid = format!("{}-group", t.name);
    store.commit(&created(&t)).expect("create");
    let ws = WriteSet {
        appends: vec![(t.id, 0, batch(0, 1, 5, 16))],
        heads: vec![head(&t, 0, 1, 0)],
        commit_offsets: vec![offset(&gid, &t, 0, 1)],
        aborted_txns: vec![AbortedTxnRow {
            topic_id: t.id,
            partition: 0,
            producer_id: 1,
            first_offset: 0,
            last_offset: 0,
        }],
        ..WriteSet::default()
    };
    store.commit(&ws).expect("fill");
    let ws = WriteSet {
        delete_topics: vec![t.id],
        ..WriteSet::default()
    };
    store.commit(&ws).expect("delete");
    let snap = store.load_topics().unwrap();
    assert!(!snap.topics.iter().any(|r| r.id == t.id));
    assert!(heads_of(store, &t).is_empty());
    assert!(!snap.offsets.iter().any(|o| o.topic_id == t.id));
    assert!(!snap.aborted_txns.iter().any(|a| a.topic_id == t.id));
    assert!(store.read_batches(t.id, 0, 0, 1 << 20).unwrap().is_empty());
}

/// Recovery over the store gives memory its heads, log starts and newest batches back.
pub fn recovery_rebuilds_memory_from_what_was_committed(store: &mut dyn Store) {
    let t = topic(2);
    store.commit(&created(&t)).expect("create");
    let ws = WriteSet {
        appends: vec![
            (t.id, 0, batch(0, 2, 10, 100)),
            (t.id, 0, batch(2, 2, 20, 100)),
            (t.id, 0, batch(4, 2, 30, 100)),
        ],
        heads: vec![head(&t, 0, 6, 3)],
        ..WriteSet::default()
    };
    store.commit(&ws).expect("append");

    // Each partition's equal share of the cache holds one of the three batches with its
    // overhead (the store may hold other cases' partitions too).
    let partitions = store.load_topics().expect("topics").partitions.len();
    let registry = Arc::new(Registry::new(partitions * 300));
    crate::recovery::rebuild(store, &registry).expect("rebuild");
    let topic = registry.get(&t.name).expect("recovered topic");
    assert_eq!(topic.id, t.id);
    assert_eq!(topic.partitions.len(), 2);
    let log = topic.partition(0).unwrap();
    assert_eq!((log.high_watermark(), log.log_start_offset()), (6, 3));
    assert_eq!(
        log.read(2, 1 << 20),
        ReadResult::OutOfRange,
        "below the log start"
    );
    assert_eq!(log.read(3, 1 << 20), ReadResult::BelowWindow, "not cached");
    match log.read(5, 1 << 20) {
        ReadResult::Batches(b) => assert_eq!(offsets(&b), vec![(4, 5)]),
        other => panic!("{other:?}"),
    }
    let empty = topic.partition(1).unwrap();
    assert_eq!((empty.high_watermark(), empty.log_start_offset()), (0, 0));
}

/// The cleaner's changes: batches removed and replaced at their base offset (offsets kept),
/// delete horizons and the compaction checkpoint stored, stored bytes carried by the head, and
/// batch columns read back without the bytes.
pub fn cleaner_changes_remove_replace_and_checkpoint(store: &mut dyn Store) {
    let t = topic(1);
    store.commit(&created(&t)).expect("create");
    let appends = vec![
        (t.id, 0, batch(0, 2, 101, 100)),
        (t.id, 0, batch(2, 3, 202, 100)),
        (t.id, 0, batch(5, 4, 303, 100)),
    ];
    let ws = WriteSet {
        appends,
        heads: vec![PartitionRow {
            stored_bytes: 300,
            stored_batches: 3,
            ..head(&t, 0, 9, 0)
        }],
        ..WriteSet::default()
    };
    store.commit(&ws).expect("append");

    let meta = store.batch_metadata(t.id, 0, 0, 10).expect("meta");
    assert_eq!(
        meta.iter()
            .map(|m| (m.base_offset, m.last_offset, m.max_timestamp, m.size))
            .collect::<Vec<_>>(),
        vec![(0, 1, 101, 100), (2, 4, 202, 100), (5, 8, 303, 100)]
    );
    assert!(meta.iter().all(|m| m.delete_horizon_ms.is_none()));
    assert_eq!(
        store.batch_metadata(t.id, 0, 3, 1).unwrap().len(),
        1,
        "max_rows"
    );
    assert_eq!(
        store.batch_metadata(t.id, 0, 3, 10).unwrap()[0].base_offset,
        2
    );

    // Rebuilt batch at 2 keeps offsets 2..=4 but is smaller; batch 0 goes.
    let mut smaller = batch(2, 3, 202, 40);
    smaller.bytes = {
        let mut b = vec![9u8; 40];
        stamp_base_offset(&mut b, 2);
        Bytes::from(b)
    };
    let ws = WriteSet {
        delete_batches: vec![(t.id, 0, 0)],
        replace_batches: vec![(t.id, 0, smaller.clone())],
        delete_horizons: vec![(t.id, 0, 5, 1_700_000_000_000)],
        cleaned: vec![(t.id, 0, 5, 1_700_000_000_123)],
        heads: vec![PartitionRow {
            stored_bytes: 140,
            stored_batches: 2,
            ..head(&t, 0, 9, 2)
        }],
        ..WriteSet::default()
    };
    store.commit(&ws).expect("clean");

    let read = store.read_batches(t.id, 0, 0, 10_000).expect("read");
    assert_eq!(offsets(&read), vec![(2, 4), (5, 8)]);
    assert_eq!(read[0].bytes, smaller.bytes, "replaced in place");
    let within =
        |s: &mut dyn Store, from, max| offsets(&s.read_batches(t.id, 0, from, max).expect("read"));
    assert_eq!(
        within(store, 0, 10),
        vec![(2, 4)],
        "from a removed batch: the next one, whatever its size"
    );
    assert_eq!(
        within(store, 1, 140),
        vec![(2, 4), (5, 8)],
        "exactly the budget"
    );
    assert_eq!(within(store, 1, 139), vec![(2, 4)], "one byte short of it");
    let meta = store.batch_metadata(t.id, 0, 0, 10).expect("meta");
    assert_eq!(meta[0].size, 40);
    assert_eq!(meta[1].delete_horizon_ms, Some(1_700_000_000_000));
    let row = store
        .load_topics()
        .unwrap()
        .partitions
        .into_iter()
        .find(|p| p.topic_id == t.id)
        .expect("head");
    assert_eq!(
        (
            row.next_offset,
            row.log_start_offset,
            row.stored_bytes,
            row.stored_batches
        ),
        (9, 2, 140, 2)
    );
    assert_eq!(
        (row.cleaned_offset, row.cleaned_at_ms),
        (5, Some(1_700_000_000_123))
    );

    // A later head (a produce) leaves the checkpoint alone.
    let ws = WriteSet {
        appends: vec![(t.id, 0, batch(9, 1, 404, 100))],
        heads: vec![PartitionRow {
            stored_bytes: 240,
            stored_batches: 3,
            ..head(&t, 0, 10, 2)
        }],
        ..WriteSet::default()
    };
    store.commit(&ws).expect("append again");
    let row = store
        .load_topics()
        .unwrap()
        .partitions
        .into_iter()
        .find(|p| p.topic_id == t.id)
        .unwrap();
    assert_eq!((row.cleaned_offset, row.stored_bytes), (5, 240));
}
