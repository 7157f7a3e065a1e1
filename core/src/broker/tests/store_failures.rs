//! A failed store commit changes no producer or transaction state: sequences are not consumed,
//! transactions stay open, the LSO stays where it was.

use kafka_protocol::ResponseError;

use super::group_offsets::{commit, create_topic};
use super::idempotence::init_producer;
use super::produce_fetch::produce;
use super::testkit::{batch_full, harness, Harness};
use super::transactions::{add_partitions, end_txn, fetch, produce_txn, setup};

fn fail_next_commit(h: &Harness) {
    h.store
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .fail_next_commit = Some("injected".into());
}

#[tokio::test]
async fn a_failed_produce_commit_does_not_consume_the_sequence() {
    let h = harness();
    let (_, pid, _) = init_producer(&h, None, (-1, -1)).await;
    let b = batch_full(pid, 0, 0, 0, &[(1, b"x")]);
    fail_next_commit(&h);
    assert_eq!(
        produce(&h, "s", 0, b.clone()).await.0,
        ResponseError::KafkaStorageError.code()
    );
    assert_eq!(
        produce(&h, "s", 0, b.clone()).await,
        (0, 0),
        "appended, not a duplicate"
    );
    assert_eq!(produce(&h, "s", 0, b).await, (0, 0), "now a duplicate");
}

#[tokio::test]
async fn a_failed_end_txn_commit_leaves_the_transaction_open() {
    let h = harness();
    let (pid, epoch) = setup(&h, "f").await;
    assert_eq!(add_partitions(&h, "f", pid, epoch, "t").await, 0);
    assert_eq!(produce_txn(&h, "f", pid, epoch, 0, 1).await, (0, 1));
    fail_next_commit(&h);
    // Kafka's answer to a failed write of coordinator state: retriable, where
    // KAFKA_STORAGE_ERROR is fatal to a transactional producer.
    assert_eq!(
        end_txn(&h, "f", pid, epoch, true).await,
        ResponseError::CoordinatorNotAvailable.code()
    );
    let f = fetch(&h, 1).await;
    assert_eq!((f.last_stable_offset, f.high_watermark), (1, 2));
    assert_eq!(end_txn(&h, "f", pid, epoch, true).await, 0);
    let f = fetch(&h, 1).await;
    assert_eq!((f.last_stable_offset, f.high_watermark), (3, 3));
}

#[tokio::test]
async fn ending_a_transaction_is_one_store_commit_with_a_marker_on_every_partition() {
    use kafka_protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic;
    use kafka_protocol::messages::*;

    let config = crate::config::BrokerConfig {
        default_partitions: 3,
        ..Default::default()
    };
    let h = super::testkit::harness_with(config, 1 << 20);
    let (pid, epoch) = setup(&h, "m").await;
    let mut t = AddPartitionsToTxnTopic::default();
    t.name = crate::broker::topic_name("t");
    t.partitions = vec![0, 1, 2];
    let mut r = AddPartitionsToTxnRequest::default();
    r.v3_and_below_transactional_id = TransactionalId(crate::broker::str_bytes("m"));
    r.v3_and_below_producer_id = ProducerId(pid);
    r.v3_and_below_producer_epoch = epoch;
    r.v3_and_below_topics = vec![t];
    match h.call(2, r).await {
        Some(ResponseKind::AddPartitionsToTxn(r)) => {
            let codes: Vec<i16> = r.results_by_topic_v3_and_below[0]
                .results_by_partition
                .iter()
                .map(|p| p.partition_error_code)
                .collect();
            assert_eq!(codes, vec![0, 0, 0]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(produce_txn(&h, "m", pid, epoch, 0, 1).await, (0, 1));
    let commits = |h: &Harness| h.store.lock().unwrap_or_else(|e| e.into_inner()).commits;
    let before = commits(&h);
    assert_eq!(end_txn(&h, "m", pid, epoch, false).await, 0);
    assert_eq!(commits(&h), before + 1);
    let topic = h.ctx.registry.get("t").unwrap();
    let ends: Vec<i64> = (0..3)
        .map(|p| topic.partition(p).unwrap().high_watermark())
        .collect();
    assert_eq!(ends, vec![3, 1, 1], "one marker on each partition");
    let snapshot = h.committed();
    assert_eq!(snapshot.aborted_txns.len(), 1, "only partition 0 had data");
}

#[tokio::test]
async fn a_failed_offset_commit_is_coordinator_not_available_and_changes_nothing() {
    let h = harness();
    create_topic(&h, "co", 2).await;
    // An admin commit (no member): the group has no members, so only the store can refuse it.
    assert_eq!(commit(&h, 8, -1, "", &[("co", 0, 5)]).await, vec![0]);
    fail_next_commit(&h);
    let refused = commit(&h, 8, -1, "", &[("co", 0, 9), ("co", 1, 3)]).await;
    let unavailable = ResponseError::CoordinatorNotAvailable.code();
    assert_eq!(refused, vec![unavailable, unavailable]);
    let kept = super::group_offsets::fetch(&h, 8, Some(&[("co", 0), ("co", 1)])).await;
    assert_eq!(kept, vec![("co".into(), 0, 5), ("co".into(), 1, -1)]);
}
