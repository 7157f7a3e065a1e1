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

mod properties {
    use kafka_protocol::ResponseError;
    use proptest::prelude::*;

    use crate::txn::table::{next_sequence, sequence_end};
    use crate::txn::*;

    /// What a producer sends next: the batch after the last one, a retry of one it sent
    /// `back` batches ago, or a batch that skips `gap` sequence numbers.
    #[derive(Debug, Clone)]
    enum Send {
        Next(i32),
        Retry(usize),
        Gap(i32, i32),
    }

    fn send() -> impl Strategy<Value = Send> {
        // Large counts make the sequence wrap past i32::MAX within a run.
        let count = prop_oneof![1i32..20, 100_000_000i32..600_000_000];
        prop_oneof![
            4 => count.clone().prop_map(Send::Next),
            2 => (0usize..9).prop_map(Send::Retry),
            1 => (count, 1i32..1000).prop_map(|(c, g)| Send::Gap(c, g)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// The window against a model of Kafka's rules: the next sequence appends; an exact
        /// retry of one of the last five batches is a duplicate with its first offset; anything
        /// else (an older retry, a gap) is OUT_OF_ORDER_SEQUENCE_NUMBER and changes nothing.
        #[test]
        fn the_sequence_window_follows_kafkas_rules(sends in prop::collection::vec(send(), 1..40)) {
            let producer = ProducerEntry { epoch: 3, transactional_id: None };
            let mut window = PartitionSeqs { epoch: 3, ..PartitionSeqs::default() };
            // Every batch appended, in order: (first_seq, count, base_offset).
            let mut sent: Vec<(i32, i32, i64)> = Vec::new();
            let mut next_offset = 0i64;
            for s in sends {
                let expected_seq = sent.last().map_or(0, |&(f, c, _)| next_sequence(sequence_end(f, c)));
                let (first, count, want) = match s {
                    Send::Next(c) => (expected_seq, c, None),
                    Send::Retry(back) if back < sent.len() => {
                        let (f, c, base) = sent[sent.len() - 1 - back];
                        if back < PRODUCER_BATCHES_KEPT {
                            (f, c, Some(SeqOutcome::Duplicate { base_offset: base }))
                        } else {
                            (f, c, Some(SeqOutcome::Refuse(ResponseError::OutOfOrderSequenceNumber)))
                        }
                    }
                    Send::Retry(_) => continue,
                    Send::Gap(c, g) => (
                        expected_seq.wrapping_add(g).max(0),
                        c,
                        Some(SeqOutcome::Refuse(ResponseError::OutOfOrderSequenceNumber)),
                    ),
                };
                let retained = window
                    .recent
                    .iter()
                    .any(|b| b.first_seq == first && b.last_seq == sequence_end(first, count));
                if matches!(s, Send::Gap(..)) && (first == expected_seq || retained) {
                    continue;
                }
                let got = check_sequence(Some(&producer), Some(&window), 3, first, count);
                match want {
                    Some(w) => prop_assert_eq!(got, w),
                    None => {
                        let last = sequence_end(first, count);
                        prop_assert_eq!(got, SeqOutcome::Append { first_seq: first, last_seq: last });
                        window.push(SeqBatch {
                            first_seq: first,
                            last_seq: last,
                            base_offset: next_offset,
                            last_offset: next_offset + i64::from(count) - 1,
                        });
                        sent.push((first, count, next_offset));
                        next_offset += i64::from(count);
                    }
                }
                prop_assert!(window.recent.len() <= PRODUCER_BATCHES_KEPT);
            }
            // A fenced (older) epoch is refused whatever its sequence.
            let fenced = check_sequence(Some(&producer), Some(&window), 2, 0, 1);
            prop_assert_eq!(fenced, SeqOutcome::Refuse(ResponseError::InvalidProducerEpoch));
        }
    }
}
