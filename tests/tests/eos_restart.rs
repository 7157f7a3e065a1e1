//! Producer state survives a cluster restart: a batch retried after the restart is detected as a
//! duplicate (original offset, nothing appended) and the next sequence is appended; a transaction
//! left open across a restart is aborted when its transactional.id is initialised again.
//!
//! Runs in its own test binary because it restarts the broker (PG_KAFKA_RESTART_CMD: a shell
//! command that restarts the cluster and waits until the Kafka port accepts connections).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use pg_kafka_tests::batch::{self, Producer as Pid};
use pg_kafka_tests::raw;
use pg_kafka_tests::*;
use rdkafka::producer::{BaseRecord, Producer};

/// The tests restart the shared cluster: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

const NONE: i16 = 0;
const DUPLICATE_SEQUENCE_NUMBER: i16 = 46;

fn values(from: i32, n: i32) -> Vec<Vec<u8>> {
    (from..from + n)
        .map(|i| format!("seq-{i}").into_bytes())
        .collect()
}

fn seq_batch(pid: i64, epoch: i16, base_sequence: i32, n: i32) -> Vec<u8> {
    let vals = values(base_sequence, n);
    let recs: Vec<(&[u8], &[u8])> = vals.iter().map(|v| (&b"k"[..], &v[..])).collect();
    batch::idempotent_batch(
        Pid {
            id: pid,
            epoch,
            base_sequence,
        },
        &recs,
        now_ms(),
    )
}

#[test]
fn a_retry_after_a_restart_is_a_duplicate() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let topic = unique_topic("eos-restart-retry");
    let (pid, epoch) = raw::init_producer_id();
    {
        let mut s = raw::connect();
        for (i, seq) in [0, 3, 6].into_iter().enumerate() {
            let res = raw::produce_one(&mut s, i as i32, &topic, 0, &seq_batch(pid, epoch, seq, 3));
            assert_eq!(res, (NONE, seq as i64), "first send of sequence {seq}");
        }
    }

    restart_cluster();

    // The response to sequence 6 "was lost" in the restart: the producer retries it.
    let mut s = raw::connect();
    let res = raw::produce_one(&mut s, 10, &topic, 0, &seq_batch(pid, epoch, 6, 3));
    assert!(
        res.0 == NONE || res.0 == DUPLICATE_SEQUENCE_NUMBER,
        "retry after restart: error {}",
        res.0
    );
    assert_eq!(
        res.1, 6,
        "retry after restart gets the original base offset"
    );
    assert_eq!(watermarks(&topic, 0), (0, 9), "the retry appended nothing");

    assert_eq!(
        raw::produce_one(&mut s, 11, &topic, 0, &seq_batch(pid, epoch, 9, 3)),
        (NONE, 9),
        "the next sequence after the restart"
    );
    let got = consume(&topic, 0, 0, 12);
    let got_values: Vec<Vec<u8>> = got.iter().map(|g| g.value.clone().unwrap()).collect();
    assert_eq!(got_values, values(0, 12), "no duplicate, no gap, in order");
    assert_eq!(watermarks(&topic, 0), (0, 12));
}

/// Values of `topic`/0 as a read_committed consumer sees them, up to the sentinel.
fn read_committed_until(topic: &str, sentinel: &[u8]) -> Vec<Vec<u8>> {
    use rdkafka::consumer::Consumer;
    let c = consumer(&[("isolation.level", "read_committed")]);
    let mut tpl = rdkafka::TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, rdkafka::Offset::Beginning)
        .expect("tpl");
    c.assign(&tpl).expect("assign");
    let mut out = Vec::new();
    let deadline = Instant::now() + PATIENCE;
    loop {
        assert!(
            Instant::now() < deadline,
            "read_committed: no sentinel in {topic} after {out:?}"
        );
        match c.poll(Duration::from_millis(200)) {
            None => {}
            Some(Ok(m)) => {
                let g = got(&m);
                let v = g.value.unwrap_or_default();
                if v == sentinel {
                    return out;
                }
                out.push(v);
            }
            Some(Err(e)) => panic!("read_committed consumer of {topic}: {e}"),
        }
    }
}

#[test]
fn a_transaction_open_across_a_restart_is_aborted_on_reinit() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let topic = unique_topic("eos-restart-txn");
    let txn_id = unique_topic("eos-restart-txn-id");
    let txn_cfg = [
        ("enable.idempotence", "true"),
        ("transactional.id", txn_id.as_str()),
        ("transaction.timeout.ms", "600000"),
    ];

    let before = producer(&txn_cfg);
    before
        .init_transactions(PATIENCE)
        .expect("init_transactions");
    before.begin_transaction().expect("begin_transaction");
    before
        .send(
            BaseRecord::<(), [u8], Box<usize>>::with_opaque_to(&topic, Box::new(0))
                .partition(0)
                .payload(&b"open-1"[..]),
        )
        .map_err(|(e, _)| e)
        .expect("send open-1");
    before.flush(PATIENCE).expect("flush the open transaction");
    let deliveries = before.context().deliveries.lock().unwrap().clone();
    assert!(
        deliveries.len() == 1 && deliveries[0].result.is_ok(),
        "open-1 delivered: {deliveries:?}"
    );

    restart_cluster();
    drop(before);

    // The same transactional.id again: the open transaction is aborted (not left hanging, not
    // committed), and the new producer commits its own.
    let after = producer(&txn_cfg);
    after
        .init_transactions(PATIENCE)
        .expect("init_transactions after restart");
    after.begin_transaction().expect("begin_transaction");
    after
        .send(
            BaseRecord::<(), [u8], Box<usize>>::with_opaque_to(&topic, Box::new(0))
                .partition(0)
                .payload(&b"after-1"[..]),
        )
        .map_err(|(e, _)| e)
        .expect("send after-1");
    after
        .commit_transaction(PATIENCE)
        .expect("commit_transaction");

    let plain = producer(&[]);
    produce_all(
        &plain,
        &topic,
        &[Rec {
            partition: Some(0),
            value: Some(b"sentinel".to_vec()),
            ..Rec::default()
        }],
    );
    assert_eq!(
        read_committed_until(&topic, b"sentinel"),
        vec![b"after-1".to_vec()]
    );
}
