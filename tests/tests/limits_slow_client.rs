//! A slow client sending one byte per 100 ms (a few seconds in all) does not hold up others: they
//! are served while its request is still incomplete, and it is answered once complete.

mod limits_common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::messages::ApiKey;
use limits_common::served;
use pg_kafka_tests::raw::{self, connect, Outcome};

#[test]
fn others_are_served_while_a_client_sends_one_byte_per_100_ms() {
    let slow_done = Arc::new(AtomicBool::new(false));
    let served_meanwhile = Arc::new(AtomicUsize::new(0));
    let others = {
        let slow_done = slow_done.clone();
        let served_meanwhile = served_meanwhile.clone();
        std::thread::spawn(move || {
            let mut i = 0;
            while !slow_done.load(Ordering::SeqCst) {
                let mut s = connect();
                assert!(
                    served(&mut s, i),
                    "a client was not served beside the slow one"
                );
                // Count only answers that arrived before the slow request was complete.
                if !slow_done.load(Ordering::SeqCst) {
                    served_meanwhile.fetch_add(1, Ordering::SeqCst);
                }
                i += 1;
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };

    let cid = 0x51;
    let request = raw::request(ApiKey::ApiVersions as i16, 0, cid, &[]);
    let mut slow = connect();
    for b in &request {
        raw::send(&mut slow, std::slice::from_ref(b)).expect("slow byte accepted");
        std::thread::sleep(Duration::from_millis(100));
    }
    let answer = raw::read_frame(&mut slow);
    slow_done.store(true, Ordering::SeqCst);
    others.join().expect("other clients");
    match answer {
        Outcome::Response(r) => assert_eq!(raw::split_v0(&r).0, cid, "slow client's answer"),
        other => panic!("the slow client got no answer: {other:?}"),
    }
    let n = served_meanwhile.load(Ordering::SeqCst);
    println!(
        "{} slow bytes; {n} other requests served meanwhile",
        request.len()
    );
    assert!(
        n > 0,
        "no other client was served while the slow request was incomplete"
    );
}
