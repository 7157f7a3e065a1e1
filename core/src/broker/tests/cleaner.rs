//! The cleaner against a real writer and MemStore: retention moves the log start and removes the
//! rows below it; compaction keeps each key's latest record at its offset, tombstones until their
//! horizon, and never the newest batch.

use std::sync::{Arc, RwLock};

use kafka_protocol::ResponseError;
use uuid::Uuid;

use super::list_offsets::list_offsets;
use super::produce_fetch::{fetch, fetch_req, produce};
use super::testkit::{batch, harness, keyed_batch, Harness};
use super::topic_configs::create;
use crate::cleaner::{Cleaner, Settings};
use crate::protocol::batch::decode_records;
use crate::store::Store;

fn cleaner(h: &Harness) -> Arc<Cleaner> {
    Cleaner::new(
        h.ctx.registry.clone(),
        h.ctx.bridge.clone(),
        Arc::new(RwLock::new(Settings::default())),
    )
}

type Got = (i64, Option<Vec<u8>>, Option<Vec<u8>>);

/// Every record a consumer reads from `from` to the high watermark.
async fn read_all(h: &Harness, topic: &str, from: i64) -> Vec<Got> {
    let mut out = Vec::new();
    let mut at = from;
    loop {
        let (err, hw, bytes) = fetch(h, 12, fetch_req(topic, Uuid::nil(), at, 0, 0)).await;
        assert_eq!(err, 0, "fetch at {at}");
        if bytes.is_empty() || at >= hw {
            return out;
        }
        let records = decode_records(&bytes, 1 << 20).expect("fetched batches decode");
        let last = records.last().map(|r| r.offset).unwrap_or(at);
        out.extend(records.into_iter().map(|r| (r.offset, r.key, r.value)));
        // A consumer moves past the end of the last batch it got (here: past its last record).
        at = last + 1;
    }
}

fn stored_rows(h: &Harness, topic: &str) -> Vec<(i64, i64)> {
    let id = h.ctx.registry.get(topic).unwrap().id;
    h.store
        .lock()
        .unwrap()
        .batch_metadata(id, 0, 0, 1000)
        .unwrap()
        .into_iter()
        .map(|m| (m.base_offset, m.last_offset))
        .collect()
}

fn now() -> i64 {
    crate::clock::now_ms()
}

#[tokio::test]
async fn retention_ms_drops_old_batches_moves_the_log_start_and_gives_the_rows_back() {
    let h = harness();
    assert_eq!(create(&h, "ret", 1, &[("retention.ms", "60000")]).await, 0);
    let t = now();
    produce(
        &h,
        "ret",
        0,
        batch(&[(t - 120_000, b"a"), (t - 110_000, b"b")]),
    )
    .await;
    produce(&h, "ret", 0, batch(&[(t - 90_000, b"c")])).await;
    produce(&h, "ret", 0, batch(&[(t - 1_000, b"d"), (t, b"e")])).await;
    let log = h
        .ctx
        .registry
        .get("ret")
        .unwrap()
        .partition(0)
        .unwrap()
        .clone();
    let before = log.stored();
    let report = cleaner(&h).run_pass(false).await;
    assert_eq!(
        (
            report.log_starts_moved,
            report.batches_removed,
            report.errors
        ),
        (1, 2, 0)
    );
    assert_eq!((log.log_start_offset(), log.high_watermark()), (3, 5));
    assert_eq!(
        stored_rows(&h, "ret"),
        vec![(3, 4)],
        "the rows below are gone"
    );
    let after = log.stored();
    assert_eq!(after.batches, 1);
    assert!(after.bytes < before.bytes && after.bytes > 0);
    // Consumers, ListOffsets and the store agree on the new start.
    let (err, _, _) = fetch(&h, 12, fetch_req("ret", Uuid::nil(), 0, 0, 0)).await;
    assert_eq!(err, ResponseError::OffsetOutOfRange.code());
    assert_eq!(
        list_offsets(&h, 7, "ret", &[-2, -1]).await,
        vec![(0, 3, -1), (0, 5, -1)]
    );
    let heads = h.store.lock().unwrap().load_topics().unwrap().partitions;
    let id = h.ctx.registry.get("ret").unwrap().id;
    let head = heads.iter().find(|r| r.topic_id == id).unwrap();
    assert_eq!(
        (head.log_start_offset, head.next_offset, head.stored_batches),
        (3, 5, 1)
    );
    assert_eq!(head.stored_bytes, after.bytes);
    // Nothing more to do: a second pass changes nothing.
    let again = cleaner(&h).run_pass(false).await;
    assert_eq!((again.batches_removed, again.log_starts_moved), (0, 0));
}

#[tokio::test]
async fn a_future_timestamp_blocks_retention_and_minus_one_keeps_everything() {
    let h = harness();
    assert_eq!(create(&h, "fut", 1, &[("retention.ms", "1000")]).await, 0);
    assert_eq!(create(&h, "forever", 1, &[("retention.ms", "-1")]).await, 0);
    let t = now();
    produce(&h, "fut", 0, batch(&[(t + 3_600_000, b"later")])).await;
    produce(&h, "fut", 0, batch(&[(t - 100_000, b"old")])).await;
    produce(&h, "forever", 0, batch(&[(0, b"epoch")])).await;
    let report = cleaner(&h).run_pass(false).await;
    assert_eq!(report.batches_removed, 0);
    assert_eq!(stored_rows(&h, "fut").len(), 2);
    assert_eq!(stored_rows(&h, "forever"), vec![(0, 0)]);
}

#[tokio::test]
async fn retention_bytes_keeps_the_newest_batches_within_the_limit() {
    let h = harness();
    let one = batch(&[(now(), &[7u8; 1000][..])]);
    let limit = (2 * one.len()).to_string();
    assert_eq!(
        create(&h, "size", 1, &[("retention.bytes", &limit)]).await,
        0
    );
    for _ in 0..5 {
        produce(&h, "size", 0, one.clone()).await;
    }
    let report = cleaner(&h).run_pass(false).await;
    assert_eq!(report.batches_removed, 3);
    assert_eq!(stored_rows(&h, "size"), vec![(3, 3), (4, 4)]);
    let log = h
        .ctx
        .registry
        .get("size")
        .unwrap()
        .partition(0)
        .unwrap()
        .clone();
    assert_eq!(log.stored().bytes, 2 * one.len() as i64);
}

#[tokio::test]
async fn compaction_keeps_the_latest_of_each_key_at_its_offset_then_drops_expired_tombstones() {
    let h = harness();
    // delete.retention.ms 0: a tombstone's horizon is the moment the cleaner first keeps it.
    let configs = [("cleanup.policy", "compact"), ("delete.retention.ms", "0")];
    assert_eq!(create(&h, "cmp", 1, &configs).await, 0);
    let t = now() - 10_000;
    let (k1, k2, k3) = (Some(&b"k1"[..]), Some(&b"k2"[..]), Some(&b"k3"[..]));
    produce(
        &h,
        "cmp",
        0,
        keyed_batch(&[(t, k1, Some(b"v1")), (t, k2, Some(b"v1"))]),
    )
    .await;
    produce(&h, "cmp", 0, keyed_batch(&[(t, k1, Some(b"v2"))])).await;
    produce(
        &h,
        "cmp",
        0,
        keyed_batch(&[(t, k3, Some(b"v1")), (t, k2, None)]),
    )
    .await;
    produce(&h, "cmp", 0, keyed_batch(&[(t, k1, Some(b"v3"))])).await;
    let report = cleaner(&h).run_pass(true).await;
    assert_eq!(report.errors, 0);
    let v = |s: &[u8]| Some(s.to_vec());
    let expect = vec![
        (2, v(b"k1"), v(b"v2")),
        (3, v(b"k3"), v(b"v1")),
        (4, v(b"k2"), None),
        (5, v(b"k1"), v(b"v3")), // the newest batch is never compacted
    ];
    assert_eq!(read_all(&h, "cmp", 0).await, expect);
    assert_eq!(stored_rows(&h, "cmp"), vec![(2, 2), (3, 4), (5, 5)]);
    let log = h
        .ctx
        .registry
        .get("cmp")
        .unwrap()
        .partition(0)
        .unwrap()
        .clone();
    assert_eq!((log.log_start_offset(), log.high_watermark()), (0, 6));
    assert_eq!(log.stored().cleaned_offset, 5);
    assert_eq!(
        read_all(&h, "cmp", 1).await,
        expect,
        "a read from a removed offset skips on"
    );

    // At the next pass the tombstone's horizon has passed: it goes, and its batch is rebuilt
    // around k3, still ending at offset 4. The batch at 5 is no longer the newest: k1@2 goes.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    produce(&h, "cmp", 0, keyed_batch(&[(t, Some(b"k9"), Some(b"v1"))])).await;
    cleaner(&h).run_pass(true).await;
    assert_eq!(
        read_all(&h, "cmp", 0).await,
        vec![
            (3, v(b"k3"), v(b"v1")),
            (5, v(b"k1"), v(b"v3")),
            (6, v(b"k9"), v(b"v1"))
        ]
    );
    assert_eq!(stored_rows(&h, "cmp"), vec![(3, 4), (5, 5), (6, 6)]);
}

#[tokio::test]
async fn compaction_within_a_small_decode_budget_still_leaves_one_record_per_key() {
    let h = harness();
    let configs = [
        ("cleanup.policy", "compact"),
        ("min.cleanable.dirty.ratio", "0"),
    ];
    assert_eq!(create(&h, "budget", 1, &configs).await, 0);
    let t = now() - 10_000;
    let mut latest = std::collections::BTreeMap::new();
    let mut offset = 0i64;
    let value = [7u8; 100];
    let mut send =
        async |keys: Vec<String>, latest: &mut std::collections::BTreeMap<Vec<u8>, i64>| {
            let keys: Vec<Vec<u8>> = keys.into_iter().map(String::into_bytes).collect();
            let recs: Vec<_> = keys
                .iter()
                .map(|k| (t, Some(&k[..]), Some(&value[..])))
                .collect();
            produce(&h, "budget", 0, keyed_batch(&recs)).await;
            for k in keys {
                latest.insert(k, offset);
                offset += 1;
            }
        };
    // Thirty keys, once each, in six batches of five records of 100 B (about 1 kB decoded per
    // batch), then a filler: the cleaned section after the first passes.
    for b in 0..6 {
        send(
            (0..5).map(|i| format!("k{}", b * 5 + i)).collect(),
            &mut latest,
        )
        .await;
    }
    send(vec!["filler".into()], &mut latest).await;
    // A budget of about two batches, so every run of batches is cut short by it.
    let settings = Settings {
        decode_bytes: 2500,
        ..Settings::default()
    };
    let c = Cleaner::new(
        h.ctx.registry.clone(),
        h.ctx.bridge.clone(),
        Arc::new(RwLock::new(settings)),
    );
    let passes = async || {
        // Each pass gets at least one budget further through the log.
        for _ in 0..20 {
            assert_eq!(c.run_pass(true).await.errors, 0);
        }
    };
    passes().await;
    // Updates of the keys in the last batch, past the budget from the log start.
    // The newest batch is never compacted: a key of its own, so every other key's latest
    // record is before it.
    send((25..30).map(|i| format!("k{i}")).collect(), &mut latest).await;
    send(vec!["filler-2".into()], &mut latest).await;
    passes().await;

    let got: Vec<(Vec<u8>, i64)> = read_all(&h, "budget", 0)
        .await
        .into_iter()
        .map(|(o, k, _)| (k.unwrap_or_default(), o))
        .collect();
    let mut want: Vec<(Vec<u8>, i64)> = latest.into_iter().collect();
    want.sort_by_key(|(_, o)| *o);
    assert_eq!(got, want, "one record per key, each its latest");
}

#[tokio::test]
async fn a_compacted_topic_refuses_a_record_without_a_key_and_a_policy_change_acts_at_once() {
    let h = harness();
    assert_eq!(
        create(&h, "keys", 1, &[("cleanup.policy", "compact")]).await,
        0
    );
    let req = super::produce_fetch::produce_req(-1, "keys", 0, Some(batch(&[(now(), b"no key")])));
    match h.call(9, req).await {
        Some(kafka_protocol::messages::ResponseKind::Produce(r)) => {
            let p = &r.responses[0].partition_responses[0];
            assert_eq!(p.error_code, ResponseError::InvalidRecord.code());
            assert_eq!(
                p.error_message.as_deref(),
                Some(
                    "Compacted topic cannot accept message without key in topic partition keys-0."
                )
            );
        }
        other => panic!("{other:?}"),
    }
    // Record errors name the keyless records by their index in the batch.
    let mixed = keyed_batch(&[
        (now(), Some(b"a"), Some(b"1")),
        (now(), None, Some(b"2")),
        (now(), Some(b"c"), Some(b"3")),
        (now(), None, Some(b"4")),
    ]);
    let req = super::produce_fetch::produce_req(-1, "keys", 0, Some(mixed));
    match h.call(9, req).await {
        Some(kafka_protocol::messages::ResponseKind::Produce(r)) => {
            let p = &r.responses[0].partition_responses[0];
            assert_eq!(p.error_code, ResponseError::InvalidRecord.code());
            let named: Vec<i32> = p.record_errors.iter().map(|e| e.batch_index).collect();
            assert_eq!(named, vec![1, 3]);
        }
        other => panic!("{other:?}"),
    }
    // A batch of many keyless records names a bounded number of them (the response carries a
    // message for each).
    let many: Vec<_> = (0..5000).map(|_| (now(), None, Some(&b"v"[..]))).collect();
    let req = super::produce_fetch::produce_req(-1, "keys", 0, Some(keyed_batch(&many)));
    match h.call(9, req).await {
        Some(kafka_protocol::messages::ResponseKind::Produce(r)) => {
            let p = &r.responses[0].partition_responses[0];
            assert_eq!(p.error_code, ResponseError::InvalidRecord.code());
            let named: Vec<i32> = p.record_errors.iter().map(|e| e.batch_index).collect();
            assert_eq!(named, (0..1000).collect::<Vec<i32>>());
        }
        other => panic!("{other:?}"),
    }
    let keyed = keyed_batch(&[(now(), Some(b"k"), Some(b"v"))]);
    assert_eq!(produce(&h, "keys", 0, keyed).await, (0, 0));
    // The broker default decides for a topic that sets nothing.
    assert_eq!(create(&h, "plain", 1, &[]).await, 0);
    assert_eq!(produce(&h, "plain", 0, batch(&[(now(), b"ok")])).await.0, 0);
    h.ctx
        .registry
        .set_topic_defaults([("cleanup.policy".to_string(), "compact".to_string())].into());
    let (err, _) = produce(&h, "plain", 0, batch(&[(now(), b"refused")])).await;
    assert_eq!(err, ResponseError::InvalidRecord.code());
}
