//! Connection cap (pg_kafka.max_connections): beyond it new connections are closed, while the
//! connections already open are still served; once some close, new ones are accepted again.
//!
//! Runs alone in its own test binary: it holds up to the whole cap.

mod limits_common;

use limits_common::served;
use pg_kafka_tests::raw::connect;
use pg_kafka_tests::*;

#[test]
fn beyond_the_cap_new_connections_are_closed_while_existing_ones_are_served() {
    let cap: usize = pg_client()
        .query_one(
            "SELECT current_setting('pg_kafka.max_connections')::int",
            &[],
        )
        .map(|r| r.get::<_, i32>(0) as usize)
        .expect("read pg_kafka.max_connections");
    // Open connections until the broker refuses one; each accepted connection is proven served.
    let mut open = Vec::with_capacity(cap);
    let mut refused = 0;
    for i in 0..cap + 50 {
        let mut s = connect();
        if served(&mut s, i as i32) {
            open.push(s);
        } else {
            refused += 1;
            break;
        }
    }
    println!(
        "max_connections {cap}: {} connections served, then refused",
        open.len()
    );
    assert_eq!(
        refused, 1,
        "a connection beyond the cap of {cap} was still served"
    );
    assert!(
        open.len() <= cap,
        "{} connections served, cap {cap}",
        open.len()
    );

    // Still at the cap: more new connections are closed, the open ones keep working.
    for i in 0..5 {
        let mut s = connect();
        assert!(
            !served(&mut s, 10_000 + i),
            "connection beyond the cap served"
        );
    }
    for (i, s) in open.iter_mut().enumerate().step_by(97) {
        assert!(
            served(s, 20_000 + i as i32),
            "open connection {i} no longer served at the cap"
        );
    }

    // Closing some frees their slots.
    open.truncate(open.len().saturating_sub(10));
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let mut s = connect();
        if served(&mut s, 30_000) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no slot freed after closing connections"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    drop(open);
    raw::assert_broker_alive();
}
