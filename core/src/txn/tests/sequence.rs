//! Sequence rules and windows of idempotent producers, in isolation.

use kafka_protocol::ResponseError;

use crate::txn::table::{next_sequence, sequence_end};
use crate::txn::*;

fn producer(epoch: i16) -> ProducerEntry {
    ProducerEntry {
        epoch,
        transactional_id: None,
    }
}

fn window(epoch: i16, batches: &[(i32, i32, i64)]) -> PartitionSeqs {
    let mut w = PartitionSeqs {
        epoch,
        ..PartitionSeqs::default()
    };
    for &(first_seq, last_seq, base_offset) in batches {
        w.push(SeqBatch {
            first_seq,
            last_seq,
            base_offset,
            last_offset: base_offset + i64::from(last_seq - first_seq),
        });
    }
    w
}

#[test]
fn first_batch_of_an_epoch_must_start_at_zero() {
    let p = producer(0);
    assert!(matches!(
        check_sequence(Some(&p), None, 0, 0, 3),
        SeqOutcome::Append {
            first_seq: 0,
            last_seq: 2
        }
    ));
    assert_eq!(
        check_sequence(Some(&p), None, 0, 5, 3),
        SeqOutcome::Refuse(ResponseError::OutOfOrderSequenceNumber)
    );
}

#[test]
fn duplicates_gaps_and_fencing() {
    let p = producer(1);
    let w = window(1, &[(0, 2, 10), (3, 4, 13)]);
    assert_eq!(
        check_sequence(Some(&p), Some(&w), 1, 0, 3),
        SeqOutcome::Duplicate { base_offset: 10 }
    );
    assert_eq!(
        check_sequence(Some(&p), Some(&w), 1, 7, 1),
        SeqOutcome::Refuse(ResponseError::OutOfOrderSequenceNumber)
    );
    assert!(matches!(
        check_sequence(Some(&p), Some(&w), 1, 5, 1),
        SeqOutcome::Append { .. }
    ));
    assert_eq!(
        check_sequence(Some(&p), Some(&w), 0, 5, 1),
        SeqOutcome::Refuse(ResponseError::InvalidProducerEpoch)
    );
    assert_eq!(
        check_sequence(None, None, 0, 0, 1),
        SeqOutcome::Refuse(ResponseError::UnknownProducerId)
    );
    assert_eq!(
        check_sequence(Some(&p), Some(&w), 1, -1, 1),
        SeqOutcome::Refuse(ResponseError::InvalidRecord)
    );
}

#[test]
fn sequences_wrap_at_i32_max() {
    assert_eq!(sequence_end(i32::MAX - 1, 3), 0);
    assert_eq!(next_sequence(i32::MAX), 0);
    let p = producer(0);
    let w = window(0, &[(i32::MAX - 1, i32::MAX, 0)]);
    assert!(matches!(
        check_sequence(Some(&p), Some(&w), 0, 0, 2),
        SeqOutcome::Append {
            first_seq: 0,
            last_seq: 1
        }
    ));
}

#[test]
fn only_five_batches_are_remembered() {
    let mut w = PartitionSeqs::default();
    for i in 0..7 {
        w.push(SeqBatch {
            first_seq: i,
            last_seq: i,
            base_offset: i64::from(i),
            last_offset: i64::from(i),
        });
    }
    assert_eq!(w.recent.len(), PRODUCER_BATCHES_KEPT);
    assert_eq!(w.recent.front().map(|b| b.first_seq), Some(2));
}
