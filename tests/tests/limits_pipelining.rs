//! One connection pipelining 10,000 requests without reading any response: the broker pushes back
//! (it stops reading once its per-connection in-flight limit is reached) instead of buffering
//! without bound, keeps serving other clients, and then answers every request in order.
//!
//! Prints the worker's RSS before, while the requests are pending, and after; asserts behaviour
//! only (whether the writes blocked depends on socket buffer sizes and is printed, not asserted).

mod limits_common;

use std::io::Write;
use std::time::Duration;

use kafka_protocol::messages::ApiKey;
use limits_common::{produce_and_consume, rss_kib, worker_pid};
use pg_kafka_tests::raw::{self, connect, Outcome};

const REQUESTS: i32 = 10_000;

#[test]
fn ten_thousand_unread_pipelined_requests_are_pushed_back_and_then_answered_in_order() {
    let pid = worker_pid();
    let before = rss_kib(pid);
    let mut s = connect();
    let mut reader = s.try_clone().expect("clone socket");
    // A short write timeout detects the broker pushing back; writing then continues.
    s.set_write_timeout(Some(Duration::from_millis(500)))
        .expect("write timeout");

    // Metadata v1 for all topics: a response several times the request's size.
    let writer = std::thread::spawn(move || {
        let mut blocked = 0u32;
        for cid in 0..REQUESTS {
            let req = raw::request(ApiKey::Metadata as i16, 1, cid, &(-1i32).to_be_bytes());
            let mut off = 0;
            while off < req.len() {
                match s.write(&req[off..]) {
                    Ok(0) => panic!("broker closed the pipelined connection"),
                    Ok(n) => off += n,
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) =>
                    {
                        blocked += 1;
                        if blocked == 1 {
                            println!("the broker pushed back after {cid} requests");
                        }
                        // Let the reader drain once the writes stall for long.
                        if blocked >= 10 {
                            s.set_write_timeout(None).expect("write timeout");
                        }
                    }
                    Err(e) => panic!("write request {cid}: {e}"),
                }
            }
        }
        blocked
    });

    // Leave the responses unread for a while: the broker must not grow while it waits.
    std::thread::sleep(Duration::from_secs(3));
    let during = rss_kib(pid);
    raw::assert_broker_alive();
    produce_and_consume("limits-pipelining");

    for cid in 0..REQUESTS {
        match raw::read_frame(&mut reader) {
            Outcome::Response(r) => {
                assert_eq!(raw::split_v0(&r).0, cid, "responses in request order")
            }
            other => panic!("response {cid} of {REQUESTS}: {other:?}"),
        }
    }
    let blocked = writer.join().expect("writer");
    let after = rss_kib(pid);
    println!(
        "pipelining {REQUESTS} Metadata requests: writes blocked {blocked} times; worker RSS {before} KiB before, {during} KiB while unread, {after} KiB after"
    );
    raw::assert_broker_alive();
}
