//! An idempotent producer still deduplicates its retries after compaction removed its older
//! batches, before and after a restart: the cleaner never touches a producer's five newest
//! batches (its sequence state), and recovery rebuilds that state from them.
//!
//! Runs in its own test binary because it restarts the broker (PG_KAFKA_RESTART_CMD).

use pg_kafka_tests::batch::{self, Producer as Pid};
use pg_kafka_tests::raw;
use pg_kafka_tests::*;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;

const NONE: i16 = 0;
const DUPLICATE_SEQUENCE_NUMBER: i16 = 46;

/// One record of key "k" whose value names its sequence number.
fn seq_batch(pid: i64, epoch: i16, seq: i32) -> Vec<u8> {
    let value = format!("seq-{seq}").into_bytes();
    batch::idempotent_batch(
        Pid {
            id: pid,
            epoch,
            base_sequence: seq,
        },
        &[(&b"k"[..], &value[..])],
        now_ms(),
    )
}

fn assert_duplicate(res: (i16, i64), offset: i64, what: &str) {
    assert!(
        res.0 == NONE || res.0 == DUPLICATE_SEQUENCE_NUMBER,
        "{what}: expected a duplicate, got error {}",
        res.0
    );
    assert_eq!(
        res.1, offset,
        "{what}: a duplicate gets its original offset"
    );
}

fn stored_offsets(pg: &mut postgres::Client, topic: &str) -> Vec<i64> {
    pg.query(
        "SELECT b.base_offset FROM kafka.batches b JOIN kafka.topics t USING (topic_id) \
         WHERE t.name = $1 ORDER BY 1",
        &[&topic],
    )
    .expect("batches")
    .iter()
    .map(|r| r.get(0))
    .collect()
}

#[test]
fn retries_are_deduplicated_after_compaction_and_a_restart() {
    let topic = unique_topic("clean-idempotent");
    let admin: AdminClient<DefaultClientContext> = base_config().create().expect("admin");
    let new = NewTopic::new(&topic, 1, TopicReplication::Fixed(1)).set("cleanup.policy", "compact");
    let res = block_on(admin.create_topics(&[new], &AdminOptions::new())).expect("create");
    assert!(res.iter().all(|r| r.is_ok()), "{res:?}");

    let (pid, epoch) = raw::init_producer_id();
    let mut s = raw::connect();
    for seq in 0..8 {
        let res = raw::produce_one(&mut s, 100 + seq, &topic, 0, &seq_batch(pid, epoch, seq));
        assert_eq!(res, (NONE, i64::from(seq)), "first send of sequence {seq}");
    }
    // Another producer's batch, so the idempotent producer's last batch is not the newest.
    let filler = batch::simple_batch(&[(&b"other"[..], &b"x"[..])], now_ms());
    assert_eq!(raw::produce_one(&mut s, 200, &topic, 0, &filler), (NONE, 8));

    let mut pg = pg_client();
    let removed: i64 = pg
        .query_one("SELECT batches_removed FROM kafka.run_cleaner()", &[])
        .expect("run_cleaner")
        .get(0);
    assert!(
        removed >= 3,
        "the three superseded, unprotected batches go: {removed}"
    );
    assert_eq!(
        stored_offsets(&mut pg, &topic),
        vec![3, 4, 5, 6, 7, 8],
        "the producer's five newest batches stay"
    );

    let mut b = raw::connect();
    assert_duplicate(
        raw::produce_one(&mut b, 300, &topic, 0, &seq_batch(pid, epoch, 7)),
        7,
        "retry of the last batch",
    );
    assert_duplicate(
        raw::produce_one(&mut b, 301, &topic, 0, &seq_batch(pid, epoch, 4)),
        4,
        "retry of an older batch",
    );
    drop((s, b));

    restart_cluster();
    let mut c = raw::connect();
    assert_duplicate(
        raw::produce_one(&mut c, 400, &topic, 0, &seq_batch(pid, epoch, 7)),
        7,
        "retry of the last batch after a restart",
    );
    assert_eq!(
        raw::produce_one(&mut c, 401, &topic, 0, &seq_batch(pid, epoch, 8)),
        (NONE, 9),
        "the next sequence is appended"
    );
    let got = consume(&topic, 0, 0, 7);
    let offsets: Vec<i64> = got.iter().map(|g| g.offset).collect();
    assert_eq!(
        offsets,
        vec![3, 4, 5, 6, 7, 8, 9],
        "no duplicate, offsets kept"
    );
}
