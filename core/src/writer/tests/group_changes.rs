//! Group changes of several commands in one group commit end as the commands did one after
//! another, in the store and after a restart.

use std::collections::BTreeMap;

use tokio::sync::oneshot;
use uuid::Uuid;

use crate::store::{GroupRow, MemStore, OffsetRow, Store, TopicRow, WriteSet};
use crate::writer::*;

fn offset(group: &str, topic: Uuid, committed: i64) -> OffsetRow {
    OffsetRow {
        group_id: group.into(),
        topic_id: topic,
        partition: 0,
        committed_offset: committed,
        leader_epoch: -1,
        metadata: None,
        commit_timestamp: 1,
    }
}

fn group(id: &str, generation: i32) -> GroupRow {
    GroupRow {
        group_id: id.into(),
        generation_id: generation,
        state: "Empty".into(),
        ..GroupRow::default()
    }
}

/// One group commit of `writes`, in order; every reply must be a success.
fn commit_all(writer: &mut Writer, store: &mut MemStore, writes: Vec<GroupWrite>) {
    let mut replies = Vec::new();
    let commands = writes
        .into_iter()
        .map(|write| {
            let (reply, rx) = oneshot::channel();
            replies.push(rx);
            Command::Groups { write, reply }
        })
        .collect();
    let before = store.commits;
    writer.process(store, commands);
    assert_eq!(store.commits, before + 1, "one group commit");
    for mut rx in replies {
        assert_eq!(rx.try_recv().unwrap(), Ok(()));
    }
}

fn setup() -> (Writer, MemStore, Uuid) {
    let registry = Arc::new(crate::log::Registry::new(1 << 20));
    let mut store = MemStore::new();
    let id = Uuid::new_v4();
    let ws = WriteSet {
        create_topics: vec![TopicRow {
            id,
            name: "t".into(),
            partitions: 1,
            configs: BTreeMap::new(),
        }],
        ..WriteSet::default()
    };
    store.commit(&ws).unwrap();
    crate::recovery::rebuild(&mut store, &registry).unwrap();
    (Writer::new(registry), store, id)
}

fn stored_offsets(store: &mut MemStore) -> Vec<(String, i64)> {
    let snap = store.load_topics().unwrap();
    snap.offsets
        .into_iter()
        .map(|o| (o.group_id, o.committed_offset))
        .collect()
}

#[test]
fn an_offset_delete_then_a_commit_of_the_same_partition_keeps_the_commit() {
    let (mut writer, mut store, t) = setup();
    let key = ("g".to_string(), t, 0);
    commit_all(
        &mut writer,
        &mut store,
        vec![
            GroupWrite {
                commit_offsets: vec![offset("g", t, 3)],
                ..GroupWrite::default()
            },
            GroupWrite {
                delete_offsets: vec![key.clone()],
                ..GroupWrite::default()
            },
            GroupWrite {
                commit_offsets: vec![offset("g", t, 7)],
                ..GroupWrite::default()
            },
        ],
    );
    assert_eq!(stored_offsets(&mut store), vec![("g".into(), 7)]);

    commit_all(
        &mut writer,
        &mut store,
        vec![
            GroupWrite {
                commit_offsets: vec![offset("g", t, 9)],
                ..GroupWrite::default()
            },
            GroupWrite {
                delete_offsets: vec![key],
                ..GroupWrite::default()
            },
        ],
    );
    assert!(
        stored_offsets(&mut store).is_empty(),
        "the delete came last"
    );
}

#[test]
fn a_group_deleted_then_recreated_in_one_commit_exists_and_one_deleted_last_does_not() {
    let (mut writer, mut store, t) = setup();
    commit_all(
        &mut writer,
        &mut store,
        vec![GroupWrite {
            put_groups: vec![group("a", 1), group("b", 1)],
            commit_offsets: vec![offset("a", t, 1), offset("b", t, 1)],
            ..GroupWrite::default()
        }],
    );
    commit_all(
        &mut writer,
        &mut store,
        vec![
            GroupWrite {
                delete_groups: vec!["a".into()],
                ..GroupWrite::default()
            },
            GroupWrite {
                put_groups: vec![group("a", 5)],
                commit_offsets: vec![offset("a", t, 2)],
                ..GroupWrite::default()
            },
            GroupWrite {
                commit_offsets: vec![offset("b", t, 4)],
                ..GroupWrite::default()
            },
            GroupWrite {
                delete_groups: vec!["b".into()],
                ..GroupWrite::default()
            },
        ],
    );
    let snap = store.load_topics().unwrap();
    let groups: Vec<(String, i32)> = snap
        .groups
        .iter()
        .map(|g| (g.group_id.clone(), g.generation_id))
        .collect();
    assert_eq!(groups, vec![("a".into(), 5)]);
    assert_eq!(stored_offsets(&mut store), vec![("a".into(), 2)]);
}
