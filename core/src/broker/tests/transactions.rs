//! Transactions end to end through the handlers: markers, last stable offset, read_committed
//! Fetch, transactional offsets, timeouts, fencing, and recovery of a crash mid-transaction.

use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::txn_offset_commit_request::{
    TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic,
};
use kafka_protocol::messages::*;
use kafka_protocol::ResponseError;

use super::idempotence::init_producer;
use super::produce_fetch::{produce, produce_req};
use super::testkit::{batch_full, group_harness, harness, Harness};
use crate::broker::{str_bytes, topic_name};

fn code(e: ResponseError) -> i16 {
    e.code()
}

fn tid(s: &str) -> TransactionalId {
    TransactionalId(str_bytes(s))
}

pub(super) async fn add_partitions(
    h: &Harness,
    id: &str,
    pid: i64,
    epoch: i16,
    topic: &str,
) -> i16 {
    let mut t = AddPartitionsToTxnTopic::default();
    t.name = topic_name(topic);
    t.partitions = vec![0];
    let mut r = AddPartitionsToTxnRequest::default();
    r.v3_and_below_transactional_id = tid(id);
    r.v3_and_below_producer_id = ProducerId(pid);
    r.v3_and_below_producer_epoch = epoch;
    r.v3_and_below_topics = vec![t];
    match h.call(3, r).await {
        Some(ResponseKind::AddPartitionsToTxn(r)) => {
            r.results_by_topic_v3_and_below[0].results_by_partition[0].partition_error_code
        }
        other => panic!("{other:?}"),
    }
}

/// Produce one transactional batch of `n` records: (error, base offset).
pub(super) async fn produce_txn(
    h: &Harness,
    id: &str,
    pid: i64,
    epoch: i16,
    seq: i32,
    n: usize,
) -> (i16, i64) {
    let values: Vec<(i64, &[u8])> = (0..n).map(|i| (i as i64, &b"t"[..])).collect();
    let mut req = produce_req(-1, "t", 0, Some(batch_full(pid, epoch, seq, 0x10, &values)));
    req.transactional_id = Some(tid(id));
    match h.call(9, req).await {
        Some(ResponseKind::Produce(r)) => {
            let p = &r.responses[0].partition_responses[0];
            (p.error_code, p.base_offset)
        }
        other => panic!("{other:?}"),
    }
}

pub(super) async fn end_txn(h: &Harness, id: &str, pid: i64, epoch: i16, commit: bool) -> i16 {
    let mut r = EndTxnRequest::default();
    r.transactional_id = tid(id);
    r.producer_id = ProducerId(pid);
    r.producer_epoch = epoch;
    r.committed = commit;
    match h.call(3, r).await {
        Some(ResponseKind::EndTxn(r)) => r.error_code,
        other => panic!("{other:?}"),
    }
}

/// ListOffsets latest at v5 with this isolation level.
async fn latest(h: &Harness, isolation_level: i8) -> i64 {
    use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
    let mut p = ListOffsetsPartition::default();
    p.partition_index = 0;
    p.timestamp = -1;
    let mut t = ListOffsetsTopic::default();
    t.name = topic_name("t");
    t.partitions = vec![p];
    let mut r = ListOffsetsRequest::default();
    r.replica_id = BrokerId(-1);
    r.isolation_level = isolation_level;
    r.topics = vec![t];
    match h.call(5, r).await {
        Some(ResponseKind::ListOffsets(r)) => r.topics[0].partitions[0].offset,
        other => panic!("{other:?}"),
    }
}

pub(super) struct Fetched {
    pub high_watermark: i64,
    pub last_stable_offset: i64,
    pub records: Bytes,
    pub aborted: Vec<(i64, i64)>,
}

pub(super) async fn fetch(h: &Harness, isolation_level: i8) -> Fetched {
    let mut p = FetchPartition::default();
    p.partition = 0;
    p.partition_max_bytes = 1 << 20;
    let mut t = FetchTopic::default();
    t.topic = topic_name("t");
    t.partitions = vec![p];
    let mut r = FetchRequest::default();
    r.max_bytes = 1 << 20;
    r.isolation_level = isolation_level;
    r.topics = vec![t];
    match h.call(11, r).await {
        Some(ResponseKind::Fetch(r)) => {
            let p = &r.responses[0].partitions[0];
            Fetched {
                high_watermark: p.high_watermark,
                last_stable_offset: p.last_stable_offset,
                records: p.records.clone().unwrap_or_default(),
                aborted: p
                    .aborted_transactions
                    .iter()
                    .flatten()
                    .map(|a| (a.producer_id.0, a.first_offset))
                    .collect(),
            }
        }
        other => panic!("{other:?}"),
    }
}

/// Base offsets and attributes of the batches in a fetch.
pub(super) fn batches(records: &Bytes) -> Vec<(i64, i16)> {
    crate::protocol::batch::validate_batches(records, 1 << 24)
        .unwrap_or_default()
        .iter()
        .scan(0usize, |at, info| {
            let b = &records[*at..*at + info.byte_len];
            *at += info.byte_len;
            Some((
                i64::from_be_bytes(b[..8].try_into().unwrap()),
                info.attributes,
            ))
        })
        .collect()
}

/// A topic "t" with one plain record at offset 0, and a transactional producer `id`.
pub(super) async fn setup(h: &Harness, id: &str) -> (i64, i16) {
    assert_eq!(
        produce(h, "t", 0, super::testkit::batch(&[(1, b"p")])).await,
        (0, 0)
    );
    let (e, pid, epoch) = init_producer(h, Some(id), (-1, -1)).await;
    assert_eq!(e, 0);
    (pid, epoch)
}

#[tokio::test]
async fn commit_makes_data_visible_to_read_committed_and_writes_a_marker() {
    let h = harness();
    let (pid, epoch) = setup(&h, "c").await;
    assert_eq!(add_partitions(&h, "c", pid, epoch, "t").await, 0);
    assert_eq!(produce_txn(&h, "c", pid, epoch, 0, 2).await, (0, 1));
    let open = fetch(&h, 1).await;
    assert_eq!((open.high_watermark, open.last_stable_offset), (3, 1));
    assert_eq!(latest(&h, 1).await, 1, "read_committed latest is the LSO");
    assert_eq!(latest(&h, 0).await, 3);
    assert_eq!(
        batches(&open.records),
        vec![(0, 0)],
        "only the plain batch below the LSO"
    );
    assert_eq!(batches(&fetch(&h, 0).await.records).len(), 2);

    assert_eq!(end_txn(&h, "c", pid, epoch, true).await, 0);
    let done = fetch(&h, 1).await;
    assert_eq!((done.high_watermark, done.last_stable_offset), (4, 4));
    assert_eq!(batches(&done.records), vec![(0, 0), (1, 0x10), (3, 0x30)]);
    assert!(done.aborted.is_empty());
    assert_eq!(
        end_txn(&h, "c", pid, epoch, true).await,
        0,
        "a retried commit"
    );
    assert_eq!(
        end_txn(&h, "c", pid, epoch, false).await,
        code(ResponseError::InvalidTxnState)
    );
}

#[tokio::test]
async fn abort_hides_data_from_read_committed_only() {
    let h = harness();
    let (pid, epoch) = setup(&h, "a").await;
    assert_eq!(add_partitions(&h, "a", pid, epoch, "t").await, 0);
    assert_eq!(produce_txn(&h, "a", pid, epoch, 0, 3).await, (0, 1));
    assert_eq!(end_txn(&h, "a", pid, epoch, false).await, 0);
    let committed = fetch(&h, 1).await;
    assert_eq!(committed.last_stable_offset, 5);
    assert_eq!(committed.aborted, vec![(pid, 1)]);
    let uncommitted = fetch(&h, 0).await;
    assert_eq!(batches(&uncommitted.records).len(), 3);
    assert!(uncommitted.aborted.is_empty());
    assert_eq!(h.committed().aborted_txns.len(), 1);
}

#[tokio::test]
async fn produce_outside_an_added_partition_or_with_an_old_epoch_is_refused() {
    let h = harness();
    let (pid, epoch) = setup(&h, "z").await;
    assert_eq!(
        produce_txn(&h, "z", pid, epoch, 0, 1).await.0,
        code(ResponseError::InvalidTxnState)
    );
    assert_eq!(
        add_partitions(&h, "z", pid, epoch, "nope").await,
        code(ResponseError::UnknownTopicOrPartition)
    );
    assert_eq!(add_partitions(&h, "z", pid, epoch, "t").await, 0);
    assert_eq!(produce_txn(&h, "z", pid, epoch, 0, 1).await, (0, 1));
    // Re-initialising aborts the open transaction and fences the old epoch.
    let (e, pid2, epoch2) = init_producer(&h, Some("z"), (-1, -1)).await;
    assert_eq!((e, pid2, epoch2), (0, pid, epoch + 1));
    let f = fetch(&h, 1).await;
    assert_eq!(f.last_stable_offset, f.high_watermark);
    assert_eq!(f.aborted, vec![(pid, 1)]);
    assert_eq!(
        produce_txn(&h, "z", pid, epoch, 1, 1).await.0,
        code(ResponseError::InvalidProducerEpoch)
    );
    assert_eq!(
        add_partitions(&h, "z", pid, epoch, "t").await,
        code(ResponseError::ProducerFenced)
    );
    assert_eq!(
        end_txn(&h, "z", pid, epoch, true).await,
        code(ResponseError::ProducerFenced)
    );
}

#[tokio::test]
async fn transactional_offsets_are_visible_only_after_commit() {
    let h = harness();
    let (pid, epoch) = setup(&h, "o").await;
    let mut r = AddOffsetsToTxnRequest::default();
    r.transactional_id = tid("o");
    r.producer_id = ProducerId(pid);
    r.producer_epoch = epoch;
    r.group_id = GroupId(str_bytes("g"));
    match h.call(3, r).await {
        Some(ResponseKind::AddOffsetsToTxn(r)) => assert_eq!(r.error_code, 0),
        other => panic!("{other:?}"),
    }
    let mut p = TxnOffsetCommitRequestPartition::default();
    p.partition_index = 0;
    p.committed_offset = 1;
    let mut t = TxnOffsetCommitRequestTopic::default();
    t.name = topic_name("t");
    t.partitions = vec![p];
    let mut c = TxnOffsetCommitRequest::default();
    c.transactional_id = tid("o");
    c.group_id = GroupId(str_bytes("g"));
    c.producer_id = ProducerId(pid);
    c.producer_epoch = epoch;
    c.generation_id = -1;
    c.topics = vec![t];
    let mut fenced = c.clone();
    match h.call(3, c).await {
        Some(ResponseKind::TxnOffsetCommit(r)) => {
            assert_eq!(r.topics[0].partitions[0].error_code, 0)
        }
        other => panic!("{other:?}"),
    }
    let visible = |h: &Harness| {
        h.ctx
            .groups
            .fetch_offsets("g", Some(vec![("t".into(), vec![0])]))[0]
            .1[0]
            .offset
    };
    assert_eq!(visible(&h), -1);
    assert!(h.committed().offsets.is_empty());
    // KIP-447: a member id and generation the group does not know are fenced.
    fenced.generation_id = 3;
    fenced.member_id = str_bytes("ghost");
    match h.call(3, fenced).await {
        Some(ResponseKind::TxnOffsetCommit(r)) => {
            assert_ne!(r.topics[0].partitions[0].error_code, 0)
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(end_txn(&h, "o", pid, epoch, true).await, 0);
    assert_eq!(visible(&h), 1);
    assert_eq!(h.committed().offsets.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_transaction_past_its_timeout_is_aborted_and_its_producer_fenced() {
    let h = group_harness(crate::group::Limits::default());
    let (pid, epoch) = setup(&h, "slow").await;
    let mut r = InitProducerIdRequest::default();
    r.transactional_id = Some(tid("slow"));
    r.transaction_timeout_ms = 1000;
    r.producer_id = ProducerId(pid);
    r.producer_epoch = epoch;
    let epoch = match h.call(4, r).await {
        Some(ResponseKind::InitProducerId(r)) => r.producer_epoch,
        other => panic!("{other:?}"),
    };
    assert_eq!(add_partitions(&h, "slow", pid, epoch, "t").await, 0);
    assert_eq!(produce_txn(&h, "slow", pid, epoch, 0, 1).await, (0, 1));
    assert_eq!(fetch(&h, 1).await.last_stable_offset, 1);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let f = fetch(&h, 1).await;
    assert_eq!((f.last_stable_offset, f.high_watermark), (3, 3));
    assert_eq!(f.aborted, vec![(pid, 1)]);
    assert_eq!(
        end_txn(&h, "slow", pid, epoch, true).await,
        code(ResponseError::ProducerFenced)
    );
    // KIP-360: the timed-out producer may abort and re-initialise with its old epoch.
    assert_eq!(end_txn(&h, "slow", pid, epoch, false).await, 0);
    assert_eq!(
        init_producer(&h, Some("slow"), (pid, epoch)).await,
        (0, pid, epoch + 2)
    );
    assert_eq!(
        init_producer(&h, Some("slow"), (pid, epoch)).await.0,
        code(ResponseError::ProducerFenced),
        "but only once"
    );
}

#[tokio::test]
async fn a_crash_mid_transaction_aborts_it_at_recovery() {
    let h = harness();
    let (pid, epoch) = setup(&h, "crash").await;
    assert_eq!(add_partitions(&h, "crash", pid, epoch, "t").await, 0);
    assert_eq!(produce_txn(&h, "crash", pid, epoch, 0, 2).await, (0, 1));
    assert_eq!(fetch(&h, 1).await.last_stable_offset, 1);
    let h = h.restarted();
    let f = fetch(&h, 1).await;
    assert_eq!((f.last_stable_offset, f.high_watermark), (4, 4));
    assert_eq!(f.aborted, vec![(pid, 1)]);
    assert_eq!(
        batches(&fetch(&h, 0).await.records).last(),
        Some(&(3, 0x30))
    );
    // The aborted index survives another restart.
    let h = h.restarted();
    assert_eq!(fetch(&h, 1).await.aborted, vec![(pid, 1)]);
    let snapshot = h.committed();
    assert_eq!(snapshot.transactions[0].state, "CompleteAbort");
}

#[tokio::test]
async fn operators_can_list_and_describe_transactions_and_producers() {
    let h = harness();
    let (pid, epoch) = setup(&h, "ops").await;
    assert_eq!(add_partitions(&h, "ops", pid, epoch, "t").await, 0);
    assert_eq!(produce_txn(&h, "ops", pid, epoch, 0, 1).await, (0, 1));
    let mut l = ListTransactionsRequest::default();
    l.state_filters = vec![str_bytes("Ongoing")];
    match h.call(1, l).await {
        Some(ResponseKind::ListTransactions(r)) => {
            assert_eq!(r.transaction_states.len(), 1);
            assert_eq!(r.transaction_states[0].producer_id.0, pid);
        }
        other => panic!("{other:?}"),
    }
    let mut d = DescribeTransactionsRequest::default();
    d.transactional_ids = vec![tid("ops"), tid("missing")];
    match h.call(0, d).await {
        Some(ResponseKind::DescribeTransactions(r)) => {
            let s = &r.transaction_states;
            assert_eq!(&*s[0].transaction_state, "Ongoing");
            assert_eq!(s[0].topics[0].partitions, vec![0]);
            assert_eq!(
                s[1].error_code,
                code(ResponseError::TransactionalIdNotFound)
            );
        }
        other => panic!("{other:?}"),
    }
    let mut t = kafka_protocol::messages::describe_producers_request::TopicRequest::default();
    t.name = topic_name("t");
    t.partition_indexes = vec![0];
    let mut p = DescribeProducersRequest::default();
    p.topics = vec![t];
    match h.call(0, p).await {
        Some(ResponseKind::DescribeProducers(r)) => {
            let s = &r.topics[0].partitions[0].active_producers[0];
            assert_eq!(
                (s.producer_id.0, s.last_sequence, s.current_txn_start_offset),
                (pid, 0, 1)
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn patterns_match_wildcards_and_literals() {
    assert!(crate::broker::list_transactions::matches_pattern(
        "app-.*", "app-1"
    ));
    assert!(!crate::broker::list_transactions::matches_pattern(
        "app-.*", "other"
    ));
    assert!(crate::broker::list_transactions::matches_pattern(
        ".*-x", "a-x"
    ));
    assert!(crate::broker::list_transactions::matches_pattern(
        "exact", "exact"
    ));
    assert!(!crate::broker::list_transactions::matches_pattern(
        "exact", "exactly"
    ));
}
