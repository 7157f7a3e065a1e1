//! A Postgres ERROR during a group commit fails the produces in it with KAFKA_STORAGE_ERROR,
//! publishes nothing, and the worker keeps serving: the next produce lands at the same offset.

use kafka_protocol::messages::ApiKey;
use kafka_protocol::ResponseError;
use pg_kafka_tests::raw::Outcome;
use pg_kafka_tests::*;

fn raw_produce(topic: &str, value: &[u8]) -> Vec<i16> {
    let b = batch::simple_batch(&[(b"k", value)], now_ms());
    let mut s = raw::connect();
    let body = raw::produce_v3_body(topic, 0, -1, &b);
    match raw::send_and_read(&mut s, &raw::request(ApiKey::Produce as i16, 3, 7, &body)) {
        Outcome::Response(r) => raw::produce_v3_error_codes(&r),
        other => panic!("produce to {topic}: {other:?}"),
    }
}

#[test]
fn a_failed_commit_gives_storage_error_and_the_worker_keeps_serving() {
    let topic = unique_topic("storage-error");
    assert_eq!(raw_produce(&topic, b"before"), vec![0]);

    // Make every insert of this topic's batches fail inside the worker's transaction.
    let mut pg = pg_client();
    let id: String = pg
        .query_one(
            "SELECT topic_id::text FROM kafka.topics WHERE name = $1",
            &[&topic],
        )
        .expect("topic row")
        .get(0);
    let constraint = format!("refuse_{}", id.replace('-', ""));
    pg.batch_execute(&format!(
        "ALTER TABLE kafka.batches ADD CONSTRAINT {constraint} CHECK (topic_id <> '{id}') NOT VALID"
    ))
    .expect("add constraint");

    let refused = raw_produce(&topic, b"refused");
    pg.batch_execute(&format!(
        "ALTER TABLE kafka.batches DROP CONSTRAINT {constraint}"
    ))
    .expect("drop constraint");
    assert_eq!(refused, vec![ResponseError::KafkaStorageError.code()]);

    // Nothing of the failed commit is visible, and its offset is assigned to the next batch.
    assert_eq!(watermarks(&topic, 0), (0, 1));
    assert_eq!(raw_produce(&topic, b"after"), vec![0]);
    let got = consume(&topic, 0, 0, 2);
    assert_eq!(got[0].value.as_deref(), Some(&b"before"[..]));
    assert_eq!(got[1].offset, 1);
    assert_eq!(got[1].value.as_deref(), Some(&b"after"[..]));
    let stored: i64 = pg
        .query_one(
            "SELECT count(*) FROM kafka.batches b JOIN kafka.topics t USING (topic_id) WHERE t.name = $1",
            &[&topic],
        )
        .expect("count")
        .get(0);
    assert_eq!(stored, 2);
    raw::assert_broker_alive();
}
