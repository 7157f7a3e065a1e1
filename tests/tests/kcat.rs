//! kcat (librdkafka's command-line client) produces, consumes and lists topics.

use std::io::Write;
use std::process::{Command, Stdio};

use pg_kafka_tests::*;

fn kcat(args: &[&str], stdin: Option<&str>) -> String {
    let mut child = Command::new("kcat")
        .args(["-b", &bootstrap(), "-X", "broker.address.family=v4"])
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kcat (apt-get install kcat)");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write kcat stdin");
    }
    let out = child.wait_with_output().expect("kcat output");
    assert!(
        out.status.success(),
        "kcat {args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("kcat output is UTF-8")
}

#[test]
fn kcat_produces_consumes_and_lists_a_topic() {
    let topic = unique_topic("kcat");
    kcat(&["-P", "-t", &topic, "-K:"], Some("k1:v1\n"));
    let consumed = kcat(
        &["-C", "-t", &topic, "-o", "beginning", "-e", "-q", "-K:"],
        None,
    );
    assert_eq!(consumed, "k1:v1\n");
    let listing = kcat(&["-L"], None);
    assert!(
        listing.contains(&format!("topic \"{topic}\"")),
        "kcat -L lists {topic}:\n{listing}"
    );
}
