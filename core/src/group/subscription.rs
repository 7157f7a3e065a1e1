//! The topics of a consumer-protocol subscription (ConsumerProtocolSubscription: version i16,
//! topics as an array of strings, then fields OffsetDelete does not need), read by hand.
//!
//! Owns nothing. Invariants: bounded by the bytes given; a count is checked against the bytes
//! left before anything is read; never calls a decoder that pre-allocates from wire counts.

use std::collections::HashSet;

/// The subscribed topic names, or `None` when the metadata is not a readable subscription.
pub fn subscribed_topics(metadata: &[u8]) -> Option<HashSet<String>> {
    let mut r = metadata;
    let version = take(&mut r, 2).map(|b| i16::from_be_bytes([b[0], b[1]]))?;
    if version < 0 {
        return None;
    }
    let count = take(&mut r, 4).map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))?;
    let count = usize::try_from(count).ok()?;
    // Each topic takes at least its two length bytes.
    if count > r.len() / 2 {
        return None;
    }
    let mut topics = HashSet::new();
    for _ in 0..count {
        let len = take(&mut r, 2).map(|b| i16::from_be_bytes([b[0], b[1]]))?;
        let name = take(&mut r, usize::try_from(len).ok()?)?;
        topics.insert(String::from_utf8(name.to_vec()).ok()?);
    }
    Some(topics)
}

fn take<'a>(r: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if r.len() < n {
        return None;
    }
    let (head, tail) = r.split_at(n);
    *r = tail;
    Some(head)
}
