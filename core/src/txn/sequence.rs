//! Sequence checks of idempotent batches (Kafka's ProducerStateManager rules, last five batches).

use kafka_protocol::ResponseError;

use super::table::{next_sequence, sequence_end, PartitionSeqs, ProducerEntry, SeqBatch};

/// What to do with one idempotent batch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SeqOutcome {
    /// Append it; its window entry is `SeqBatch` once offsets are known.
    Append { first_seq: i32, last_seq: i32 },
    /// An exact retry of a batch already in the log: answer with its original base offset.
    Duplicate { base_offset: i64 },
    /// Refuse the partition's batches with this error.
    Refuse(ResponseError),
}

/// Check one batch of `producer` (None: unknown id) against its partition window.
pub fn check_sequence(
    producer: Option<&ProducerEntry>,
    seqs: Option<&PartitionSeqs>,
    epoch: i16,
    base_sequence: i32,
    record_count: i32,
) -> SeqOutcome {
    let Some(p) = producer else {
        return SeqOutcome::Refuse(ResponseError::UnknownProducerId);
    };
    if epoch != p.epoch {
        // An older epoch is a fenced zombie; a newer one was never handed out.
        return SeqOutcome::Refuse(ResponseError::InvalidProducerEpoch);
    }
    if base_sequence < 0 {
        return SeqOutcome::Refuse(ResponseError::InvalidRecord);
    }
    let last_seq = sequence_end(base_sequence, record_count);
    let append = SeqOutcome::Append {
        first_seq: base_sequence,
        last_seq,
    };
    let window = seqs.filter(|s| s.epoch == epoch && !s.recent.is_empty());
    let Some(w) = window else {
        // First batch of this epoch on the partition: sequences start at 0.
        return if base_sequence == 0 {
            append
        } else {
            SeqOutcome::Refuse(ResponseError::OutOfOrderSequenceNumber)
        };
    };
    if let Some(dup) = w
        .recent
        .iter()
        .find(|b| b.first_seq == base_sequence && b.last_seq == last_seq)
    {
        return SeqOutcome::Duplicate {
            base_offset: dup.base_offset,
        };
    }
    let expected = w
        .recent
        .back()
        .map_or(0, |b: &SeqBatch| next_sequence(b.last_seq));
    if base_sequence == expected {
        append
    } else {
        SeqOutcome::Refuse(ResponseError::OutOfOrderSequenceNumber)
    }
}
