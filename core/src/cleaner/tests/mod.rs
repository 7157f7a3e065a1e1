//! Cleaner tests that need its private parts (the end-to-end ones are in broker/tests/cleaner.rs).

use bytes::Bytes;

use super::decode_within;
use crate::broker::tests::testkit::keyed_batch;
use crate::log::Batch;

fn batch_of(value_len: usize) -> Batch {
    let value = vec![b'v'; value_len];
    let bytes: Bytes = keyed_batch(&[(1, Some(b"k"), Some(&value))]);
    Batch {
        base_offset: 0,
        last_offset: 0,
        base_timestamp: 1,
        max_timestamp: 1,
        record_count: 1,
        attributes: 0,
        producer_id: -1,
        producer_epoch: -1,
        base_sequence: -1,
        bytes,
    }
}

#[test]
fn decoding_stops_at_the_budget_and_leaves_the_rest_undecoded() {
    let batches = vec![batch_of(600), batch_of(600), batch_of(600), batch_of(10)];
    let got: Vec<bool> = decode_within(&batches, 1500)
        .iter()
        .map(Option::is_some)
        .collect();
    assert_eq!(
        got,
        vec![true, true],
        "the third passes the budget; none after"
    );
    // The first batch is decoded whatever the budget, so a run always gets somewhere.
    assert_eq!(decode_within(&batches, 10).len(), 1);
    let all = decode_within(&batches, 1 << 20);
    assert_eq!(all.len(), 4);
    assert!(all.iter().all(Option::is_some));
    assert_eq!(
        all[0].as_ref().unwrap()[0].value.as_ref().unwrap().len(),
        600
    );
}
