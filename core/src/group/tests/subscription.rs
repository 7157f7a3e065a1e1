//! Reading the topics of a consumer-protocol subscription.

use crate::group::subscription::*;

#[test]
fn reads_topics_and_refuses_counts_the_bytes_cannot_hold() {
    let mut m = vec![0, 1, 0, 0, 0, 2, 0, 1, b'a', 0, 2, b'b', b'c'];
    m.extend_from_slice(&[0xff, 0xff, 0xff, 0xff]); // null user_data, ignored
    let t = subscribed_topics(&m).unwrap();
    assert_eq!(t.len(), 2);
    assert!(t.contains("a") && t.contains("bc"));
    assert!(subscribed_topics(&[0, 0, 0x7f, 0xff, 0xff, 0xff, 0, 1]).is_none());
    assert!(subscribed_topics(&[0, 0, 0, 0, 0, 1, 0x7f, 0xff]).is_none());
    assert!(subscribed_topics(&[0, 0, 0xff, 0xff, 0xff, 0xff]).is_none());
    assert!(subscribed_topics(&[]).is_none());
}
