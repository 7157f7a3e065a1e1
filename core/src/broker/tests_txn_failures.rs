//! A failed store commit changes no producer or transaction state: sequences are not consumed,
//! transactions stay open, the LSO stays where it was.

use kafka_protocol::ResponseError;

use super::testkit::{batch_full, harness, Harness};
use super::tests::produce;
use super::tests_idempotence::init_producer;
use super::tests_transactions::{add_partitions, end_txn, fetch, produce_txn, setup};

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
    assert_eq!(
        end_txn(&h, "f", pid, epoch, true).await,
        ResponseError::KafkaStorageError.code()
    );
    let f = fetch(&h, 1).await;
    assert_eq!((f.last_stable_offset, f.high_watermark), (1, 2));
    assert_eq!(end_txn(&h, "f", pid, epoch, true).await, 0);
    let f = fetch(&h, 1).await;
    assert_eq!((f.last_stable_offset, f.high_watermark), (3, 3));
}
