//! Idempotent producers over raw Kafka frames: a retried batch (as after a lost response) on a
//! new connection gets the offset it got the first time and appends nothing; a sequence gap is
//! OUT_OF_ORDER_SEQUENCE_NUMBER and appends nothing; reading back shows no duplicate and no gap.
//! Plus librdkafka's own idempotent producer, end to end.

use pg_kafka_tests::batch::{self, Producer};
use pg_kafka_tests::raw;
use pg_kafka_tests::*;

const NONE: i16 = 0;
const OUT_OF_ORDER_SEQUENCE_NUMBER: i16 = 45;
const DUPLICATE_SEQUENCE_NUMBER: i16 = 46;

/// Values of records with sequence numbers `from..from+n`.
fn values(from: i32, n: i32) -> Vec<Vec<u8>> {
    (from..from + n)
        .map(|i| format!("seq-{i}").into_bytes())
        .collect()
}

/// An idempotent batch of `n` records whose values carry their sequence numbers.
fn seq_batch(pid: i64, epoch: i16, base_sequence: i32, n: i32) -> Vec<u8> {
    let vals = values(base_sequence, n);
    let recs: Vec<(&[u8], &[u8])> = vals.iter().map(|v| (&b"k"[..], &v[..])).collect();
    batch::idempotent_batch(
        Producer {
            id: pid,
            epoch,
            base_sequence,
        },
        &recs,
        now_ms(),
    )
}

fn assert_duplicate(res: (i16, i64), offset: i64, what: &str) {
    assert!(
        res.0 == NONE || res.0 == DUPLICATE_SEQUENCE_NUMBER,
        "{what}: a retried batch must be acknowledged as a duplicate, got error {}",
        res.0
    );
    assert_eq!(
        res.1, offset,
        "{what}: a duplicate gets its original base offset"
    );
}

#[test]
fn retries_on_new_connections_are_deduplicated_and_gaps_rejected() {
    let topic = unique_topic("eos-raw-retry");
    let (pid, epoch) = raw::init_producer_id();
    let mut a = raw::connect();

    // Sequences 0..9 in three batches of three.
    for (i, seq) in [0, 3, 6].into_iter().enumerate() {
        let res = raw::produce_one(
            &mut a,
            100 + i as i32,
            &topic,
            0,
            &seq_batch(pid, epoch, seq, 3),
        );
        assert_eq!(res, (NONE, seq as i64), "first send of sequence {seq}");
    }

    // The response to the last batch "was lost": the producer reconnects and retries it.
    let mut b = raw::connect();
    let res = raw::produce_one(&mut b, 200, &topic, 0, &seq_batch(pid, epoch, 6, 3));
    assert_duplicate(res, 6, "retry of the last batch on a new connection");
    // An older batch still among the last five is a duplicate too.
    let res = raw::produce_one(&mut b, 201, &topic, 0, &seq_batch(pid, epoch, 3, 3));
    assert_duplicate(res, 3, "retry of an older batch on a new connection");
    drop(a);

    // The next sequence is appended right after.
    assert_eq!(
        raw::produce_one(&mut b, 202, &topic, 0, &seq_batch(pid, epoch, 9, 3)),
        (NONE, 9),
        "sequence 9 after the retries"
    );

    // A gap (12 is next; 20 skips eight) is refused and appends nothing.
    let (code, _) = raw::produce_one(&mut b, 203, &topic, 0, &seq_batch(pid, epoch, 20, 3));
    assert_eq!(code, OUT_OF_ORDER_SEQUENCE_NUMBER, "sequence gap 12 -> 20");
    assert_eq!(
        watermarks(&topic, 0),
        (0, 12),
        "the gap batch appended nothing"
    );

    // The producer carries on with the right sequence.
    let mut c = raw::connect();
    assert_eq!(
        raw::produce_one(&mut c, 300, &topic, 0, &seq_batch(pid, epoch, 12, 3)),
        (NONE, 12),
        "sequence 12 after the refused gap"
    );

    assert_eq!(watermarks(&topic, 0), (0, 15));
    let got = consume(&topic, 0, 0, 15);
    let got_values: Vec<Vec<u8>> = got.iter().map(|g| g.value.clone().unwrap()).collect();
    assert_eq!(got_values, values(0, 15), "no duplicate, no gap, in order");
    let offsets: Vec<i64> = got.iter().map(|g| g.offset).collect();
    assert_eq!(offsets, (0..15).collect::<Vec<_>>());
}

#[test]
fn a_partially_overlapping_batch_is_refused_and_appends_nothing() {
    let topic = unique_topic("eos-raw-overlap");
    let (pid, epoch) = raw::init_producer_id();
    let mut s = raw::connect();
    assert_eq!(
        raw::produce_one(&mut s, 1, &topic, 0, &seq_batch(pid, epoch, 0, 4)),
        (NONE, 0)
    );
    // Sequences 2..5 overlap 0..3 without being the same batch.
    let (code, _) = raw::produce_one(&mut s, 2, &topic, 0, &seq_batch(pid, epoch, 2, 4));
    assert_ne!(code, NONE, "a partially overlapping batch was accepted");
    assert_eq!(
        watermarks(&topic, 0),
        (0, 4),
        "the overlapping batch appended nothing"
    );
    assert_eq!(
        raw::produce_one(&mut s, 3, &topic, 0, &seq_batch(pid, epoch, 4, 2)),
        (NONE, 4)
    );
}

#[test]
fn an_idempotent_batch_without_a_base_sequence_is_refused() {
    let topic = unique_topic("eos-raw-noseq");
    let (pid, epoch) = raw::init_producer_id();
    let mut s = raw::connect();
    let (code, _) = raw::produce_one(&mut s, 1, &topic, 0, &seq_batch(pid, epoch, -1, 2));
    assert_ne!(
        code, NONE,
        "a producer id with base_sequence -1 was accepted"
    );
    let (_, high) = watermarks(&topic, 0);
    assert_eq!(high, 0, "the refused batch appended nothing");
}

#[test]
fn librdkafka_idempotent_producer_delivers_each_record_once() {
    let topic = unique_topic("eos-rdkafka-idem");
    let n = 2000u32;
    let recs: Vec<Rec> = (0..n)
        .map(|i| Rec {
            partition: Some(0),
            key: None,
            value: Some(format!("idem-{i}").into_bytes()),
            ..Rec::default()
        })
        .collect();
    let p = producer(&[
        ("enable.idempotence", "true"),
        ("max.in.flight.requests.per.connection", "5"),
        ("batch.num.messages", "100"),
    ]);
    let offsets = produce_all(&p, &topic, &recs);
    assert_eq!(offsets, (0..n as i64).map(|o| (0, o)).collect::<Vec<_>>());
    let got = consume(&topic, 0, 0, n as usize);
    for (i, g) in got.iter().enumerate() {
        assert_eq!(g.offset, i as i64);
        assert_eq!(g.value.as_deref(), Some(format!("idem-{i}").as_bytes()));
    }
    assert_eq!(watermarks(&topic, 0), (0, n as i64));
}

const INVALID_PRODUCER_EPOCH: i16 = 47;
const PRODUCER_FENCED: i16 = 90;
const TXN_ATTRIBUTE: i16 = 0x10;

/// A transactional batch of one record `value` from producer (`pid`, `epoch`).
fn txn_batch(pid: i64, epoch: i16, base_sequence: i32, value: &[u8]) -> Vec<u8> {
    let section = batch::record(0, 0, None, Some(value), &[]);
    batch::batch_from(
        batch::CODEC_NONE | TXN_ATTRIBUTE,
        1,
        0,
        now_ms(),
        Producer {
            id: pid,
            epoch,
            base_sequence,
        },
        &section,
    )
}

#[test]
fn a_zombie_epoch_is_fenced_on_every_partition_of_its_request() {
    use kafka_protocol::messages::{AddPartitionsToTxnResponse, ApiKey};
    use kafka_protocol::protocol::Decodable;
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;

    let topic = unique_topic("eos-raw-zombie");
    let tid = unique_topic("eos-raw-zombie-txn");
    let admin: AdminClient<DefaultClientContext> = base_config().create().expect("admin");
    let res = block_on(admin.create_topics(
        &[NewTopic::new(&topic, 2, TopicReplication::Fixed(1))],
        &AdminOptions::new(),
    ))
    .expect("CreateTopics request");
    assert!(res[0].is_ok(), "create {topic}: {:?}", res[0]);

    let (pid, old_epoch) = raw::init_producer_id_for(Some(&tid));

    // The zombie starts a transaction on both partitions.
    let mut body = Vec::new();
    raw::put_nullable_string(&mut body, Some(&tid));
    body.extend_from_slice(&pid.to_be_bytes());
    body.extend_from_slice(&old_epoch.to_be_bytes());
    body.extend_from_slice(&1i32.to_be_bytes()); // topics
    raw::put_nullable_string(&mut body, Some(&topic));
    body.extend_from_slice(&2i32.to_be_bytes()); // partitions
    body.extend_from_slice(&0i32.to_be_bytes());
    body.extend_from_slice(&1i32.to_be_bytes());
    let mut z = raw::connect();
    match raw::send_and_read(
        &mut z,
        &raw::request(ApiKey::AddPartitionsToTxn as i16, 0, 1, &body),
    ) {
        raw::Outcome::Response(r) => {
            let (_, mut b) = raw::split_v0(&r);
            let r = AddPartitionsToTxnResponse::decode(&mut b, 0).expect("decode");
            let codes: Vec<i16> = r
                .results_by_topic_v3_and_below
                .iter()
                .flat_map(|t| {
                    t.results_by_partition
                        .iter()
                        .map(|p| p.partition_error_code)
                })
                .collect();
            assert_eq!(codes, vec![NONE, NONE], "AddPartitionsToTxn");
        }
        other => panic!("AddPartitionsToTxn: {other:?}"),
    }

    // A new instance with the same transactional.id bumps the epoch.
    let (pid2, new_epoch) = raw::init_producer_id_for(Some(&tid));
    assert_eq!(pid2, pid, "same transactional.id, same producer id");
    assert!(
        new_epoch > old_epoch,
        "epoch bumped: {old_epoch} -> {new_epoch}"
    );

    // The zombie's produce to both partitions, with its old epoch.
    let b0 = txn_batch(pid, old_epoch, 0, b"zombie-0");
    let b1 = txn_batch(pid, old_epoch, 0, b"zombie-1");
    let mut body = Vec::new();
    raw::put_nullable_string(&mut body, Some(&tid));
    body.extend_from_slice(&(-1i16).to_be_bytes()); // acks
    body.extend_from_slice(&30_000i32.to_be_bytes());
    body.extend_from_slice(&1i32.to_be_bytes());
    raw::put_nullable_string(&mut body, Some(&topic));
    body.extend_from_slice(&2i32.to_be_bytes());
    for (p, b) in [(0i32, &b0), (1i32, &b1)] {
        body.extend_from_slice(&p.to_be_bytes());
        body.extend_from_slice(&(b.len() as i32).to_be_bytes());
        body.extend_from_slice(b);
    }
    match raw::send_and_read(&mut z, &raw::request(ApiKey::Produce as i16, 3, 2, &body)) {
        raw::Outcome::Response(r) => {
            let res = raw::produce_v3_results(&r);
            assert_eq!(res.len(), 2, "both partitions answered: {res:?}");
            for (code, _) in &res {
                assert!(
                    *code == INVALID_PRODUCER_EPOCH || *code == PRODUCER_FENCED,
                    "zombie produce not fenced on every partition: {res:?}"
                );
            }
        }
        other => panic!("zombie Produce: {other:?}"),
    }

    // Nothing of the zombie's is readable, even uncommitted.
    for p in 0..2 {
        produce_all(
            &producer(&[]),
            &topic,
            &[Rec {
                partition: Some(p),
                value: Some(b"sentinel".to_vec()),
                ..Rec::default()
            }],
        );
        let c = consumer(&[("isolation.level", "read_uncommitted")]);
        let got = consume_with(&c, &topic, p, 0, 1);
        assert_eq!(
            got[0].value.as_deref(),
            Some(&b"sentinel"[..]),
            "partition {p}: first record is the sentinel"
        );
    }
}
