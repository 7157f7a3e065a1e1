//! The writer alone over a MemStore: group commits, failed commits, topic admin and config
//! changes (the paths through the handlers are tested in broker/tests).

use std::collections::BTreeMap;

use bytes::Bytes;
use kafka_protocol::ResponseError;
use tokio::sync::oneshot;

use crate::log::{ReadResult, Registry};
use crate::store::MemStore;
use crate::writer::*;

/// The error of an outcome, if any.
fn error<T>(r: &crate::error::KafkaResult<T>) -> Option<ResponseError> {
    r.as_ref().err().map(|e| e.code)
}

fn pending(count: i32) -> PendingBatch {
    let mut bytes = vec![0u8; 61];
    bytes[8] = 0xab;
    PendingBatch {
        bytes: Bytes::from(bytes),
        record_count: count,
        last_offset_delta: count - 1,
        base_timestamp: 10,
        max_timestamp: 20,
        attributes: 0,
        producer_id: -1,
        producer_epoch: -1,
        base_sequence: -1,
    }
}

fn setup(partitions: i32) -> (Writer, MemStore, Arc<Topic>) {
    let registry = Arc::new(Registry::new(1 << 20));
    let mut writer = Writer::new(registry.clone());
    let mut store = MemStore::new();
    let (tx, mut rx) = oneshot::channel();
    writer.process(
        &mut store,
        vec![Command::CreateTopics {
            topics: vec![NewTopic {
                name: "t".into(),
                partitions,
                configs: BTreeMap::new(),
            }],
            validate_only: false,
            reply: tx,
        }],
    );
    let topic = rx.try_recv().unwrap().remove(0).unwrap();
    (writer, store, topic)
}

fn produce(
    topic: &Arc<Topic>,
    partition: i32,
    counts: &[i32],
) -> (Command, oneshot::Receiver<Vec<AppendResult>>) {
    let (tx, rx) = oneshot::channel();
    let cmd = Command::Produce {
        appends: vec![Append {
            topic: topic.clone(),
            partition,
            batches: counts.iter().map(|c| pending(*c)).collect(),
        }],
        reply: Some(tx),
    };
    (cmd, rx)
}

#[test]
fn one_group_commit_assigns_contiguous_offsets_across_requests() {
    let (mut writer, mut store, topic) = setup(2);
    let commits_before = store.commits;
    let (a, mut ra) = produce(&topic, 0, &[3, 2]);
    let (b, mut rb) = produce(&topic, 0, &[4]);
    let (c, mut rc) = produce(&topic, 1, &[1]);
    writer.process(&mut store, vec![a, b, c]);
    assert_eq!(
        store.commits,
        commits_before + 1,
        "one transaction for all three"
    );
    assert_eq!(ra.try_recv().unwrap()[0].as_ref().unwrap().base_offset, 0);
    assert_eq!(rb.try_recv().unwrap()[0].as_ref().unwrap().base_offset, 5);
    assert_eq!(rc.try_recv().unwrap()[0].as_ref().unwrap().base_offset, 0);
    let p0 = topic.partition(0).unwrap();
    assert_eq!(p0.high_watermark(), 9);
    match p0.read(5, usize::MAX) {
        ReadResult::Batches(b) => {
            assert_eq!(b.len(), 1);
            assert_eq!(&b[0].bytes[..8], &5i64.to_be_bytes(), "base offset stamped");
            assert_eq!(b[0].bytes[8], 0xab, "rest of the batch untouched");
        }
        other => panic!("{other:?}"),
    }
    let stored = store.read_batches(topic.id, 0, 0, usize::MAX).unwrap();
    assert_eq!(
        stored.iter().map(|b| b.base_offset).collect::<Vec<_>>(),
        vec![0, 3, 5]
    );
}

#[test]
fn failed_commit_publishes_nothing_and_offsets_are_assigned_again() {
    let (mut writer, mut store, topic) = setup(1);
    store.fail_next_commit = Some("disk full".into());
    let (a, mut ra) = produce(&topic, 0, &[3]);
    writer.process(&mut store, vec![a]);
    assert_eq!(
        error(&ra.try_recv().unwrap()[0]),
        Some(ResponseError::KafkaStorageError)
    );
    assert_eq!(topic.partition(0).unwrap().high_watermark(), 0);
    let (b, mut rb) = produce(&topic, 0, &[2]);
    writer.process(&mut store, vec![b]);
    assert_eq!(rb.try_recv().unwrap()[0].as_ref().unwrap().base_offset, 0);
    assert_eq!(topic.partition(0).unwrap().high_watermark(), 2);
}

#[test]
fn produce_to_a_deleted_topic_or_missing_partition_is_unknown() {
    let (mut writer, mut store, topic) = setup(1);
    let (bad, mut rbad) = produce(&topic, 7, &[1]);
    writer.process(&mut store, vec![bad]);
    let unknown = Some(ResponseError::UnknownTopicOrPartition);
    assert_eq!(error(&rbad.try_recv().unwrap()[0]), unknown);
    let (tx, mut rx) = oneshot::channel();
    let (a, mut ra) = produce(&topic, 0, &[1]);
    writer.process(
        &mut store,
        vec![
            Command::DeleteTopics {
                topics: vec![("t".into(), Uuid::nil())],
                reply: tx,
            },
            a,
        ],
    );
    assert!(rx.try_recv().unwrap()[0].is_ok());
    assert_eq!(error(&ra.try_recv().unwrap()[0]), unknown);
    assert!(writer.registry().get("t").is_none());
}

#[test]
fn topic_admin_validates_and_persists() {
    let (mut writer, mut store, _topic) = setup(1);
    let (tx, mut rx) = oneshot::channel();
    let bad = |name: &str, partitions| NewTopic {
        name: name.into(),
        partitions,
        configs: BTreeMap::new(),
    };
    writer.process(
        &mut store,
        vec![Command::CreateTopics {
            topics: vec![bad("t", 1), bad("a/b", 1), bad("z", 0), bad("ok", 3)],
            validate_only: false,
            reply: tx,
        }],
    );
    let r = rx.try_recv().unwrap();
    assert_eq!(
        r[0].as_ref().unwrap_err().code,
        ResponseError::TopicAlreadyExists
    );
    assert_eq!(
        r[1].as_ref().unwrap_err().code,
        ResponseError::InvalidTopicException
    );
    assert_eq!(
        r[2].as_ref().unwrap_err().code,
        ResponseError::InvalidPartitions
    );
    assert_eq!(r[3].as_ref().unwrap().partitions.len(), 3);
    let (tx, mut rx) = oneshot::channel();
    writer.process(
        &mut store,
        vec![Command::CreatePartitions {
            topics: vec![("ok".into(), 5), ("ok".into(), 2)],
            validate_only: false,
            reply: tx,
        }],
    );
    let r = rx.try_recv().unwrap();
    assert_eq!(r[0].as_ref().unwrap().partitions.len(), 5);
    assert!(r[1].is_err());
    let snap = store.load_topics().unwrap();
    let ok = snap.topics.iter().find(|t| t.name == "ok").unwrap();
    assert_eq!(ok.partitions, 5);
    assert_eq!(
        snap.partitions
            .iter()
            .filter(|p| p.topic_id == ok.id)
            .count(),
        5
    );
}

#[test]
fn failed_config_and_log_start_commits_change_nothing_in_memory() {
    let (mut writer, mut store, topic) = setup(1);
    let (cmd, _rx) = produce(&topic, 0, &[2, 2]);
    writer.process(&mut store, vec![cmd]);
    let storage = ResponseError::KafkaStorageError;

    store.fail_next_commit = Some("disk full".into());
    let (tx, mut rx) = oneshot::channel();
    let change = ConfigChange {
        topic: "t".into(),
        replace: false,
        ops: vec![(
            "retention.ms".into(),
            crate::log::configs::ConfigOp::Set("5".into()),
        )],
    };
    writer.process(
        &mut store,
        vec![Command::AlterTopicConfigs {
            changes: vec![change],
            validate_only: false,
            reply: tx,
        }],
    );
    assert_eq!(
        rx.try_recv().unwrap()[0].as_ref().unwrap_err().code,
        storage
    );
    assert!(writer.registry().get("t").unwrap().configs.is_empty());

    store.fail_next_commit = Some("disk full".into());
    let (tx, mut rx) = oneshot::channel();
    let deletion = RecordsDeletion {
        topic: "t".into(),
        partition: 0,
        offset: 3,
    };
    writer.process(
        &mut store,
        vec![Command::DeleteRecords {
            deletions: vec![deletion.clone()],
            reply: tx,
        }],
    );
    let r = rx.try_recv().unwrap();
    assert_eq!(r.iter().map(error).collect::<Vec<_>>(), vec![Some(storage)]);
    assert_eq!(topic.partitions[0].log_start_offset(), 0);

    // The same deletion, committed, moves it.
    let (tx, mut rx) = oneshot::channel();
    writer.process(
        &mut store,
        vec![Command::DeleteRecords {
            deletions: vec![deletion],
            reply: tx,
        }],
    );
    assert_eq!(rx.try_recv().unwrap(), vec![Ok(3)]);
    assert_eq!(topic.partitions[0].log_start_offset(), 3);
}
