//! The durable form of consumer-protocol (KIP-848) groups.
//!
//! Owns: the encoding of a consumer-protocol group into its anchor row (`kafka.consumer_groups`,
//! protocol type "consumer") and that row's members (`kafka.group_members`), and the way back.
//! The row's generation is the group epoch and its protocol name the assignor; each member row
//! keeps the ids, client and timeouts in their columns, and in `metadata` the member's epochs,
//! rack, assignor, regex and subscribed names, in `assignment` the partitions it owns. A restart
//! restores the members with their epochs and what they own, so they heartbeat on instead of
//! rejoining (Kafka keeps the same records in `__consumer_offsets`).
//!
//! Invariants: decoding is bounded by the bytes given and refuses anything malformed (a row may
//! have been edited from SQL): such a member is left out, and rejoins. Nothing here allocates
//! from a count it has not checked against the bytes left.

use std::collections::BTreeSet;

use tokio::time::Instant;
use uuid::Uuid;

use super::assignor::TopicAssignment;
use super::consumer::{CMember, ConsumerGroup, SESSION_TIMEOUT_MS};
use super::consumer_ops::CONSUMER_PROTOCOL;
use crate::log::Registry;
use crate::store::{GroupRow, MemberRow};

/// Version of the member metadata encoding.
const VERSION: u8 = 1;

/// The anchor row of `group_id` with every member of `g`.
pub(super) fn to_row(group_id: &str, g: &ConsumerGroup) -> GroupRow {
    GroupRow {
        group_id: group_id.to_owned(),
        protocol_type: Some(CONSUMER_PROTOCOL.to_owned()),
        protocol_name: Some(g.assignor.clone()),
        generation_id: g.epoch,
        leader_id: None,
        state: g.state_name().to_owned(),
        members: g
            .members
            .values()
            .map(|m| MemberRow {
                member_id: m.id.clone(),
                group_instance_id: m.instance_id.clone(),
                client_id: m.client_id.clone(),
                client_host: m.client_host.clone(),
                session_timeout_ms: SESSION_TIMEOUT_MS,
                rebalance_timeout_ms: m.rebalance_timeout_ms,
                metadata: encode_member(m),
                assignment: encode_assignment(&m.assigned),
            })
            .collect(),
    }
}

/// The consumer-protocol group an anchor row describes, if it has members. Members get fresh
/// session deadlines and `nonce()` for their timers; the target assignment is computed again
/// at the stored epoch.
pub(super) fn from_row(
    row: &GroupRow,
    registry: &Registry,
    mut nonce: impl FnMut() -> u64,
    now: Instant,
) -> Option<ConsumerGroup> {
    if row.protocol_type.as_deref() != Some(CONSUMER_PROTOCOL) || row.members.is_empty() {
        return None;
    }
    let mut g = ConsumerGroup::new();
    for r in &row.members {
        let Some(mut m) = decode_member(r, nonce(), now) else {
            continue;
        };
        m.assigned = match decode_assignment(&r.assignment) {
            Some(a) => a,
            None => continue,
        };
        g.members.insert(m.id.clone(), m);
    }
    if g.members.is_empty() {
        return None;
    }
    g.refresh_topics(registry);
    g.restore_epoch(row.generation_id.max(0));
    Some(g)
}

fn encode_member(m: &CMember) -> Vec<u8> {
    let mut out = vec![VERSION];
    out.extend(m.epoch.to_be_bytes());
    out.extend(m.previous_epoch.to_be_bytes());
    put_opt(&mut out, m.rack_id.as_deref());
    put_opt(&mut out, m.assignor.as_deref());
    put_opt(&mut out, m.regex.as_deref());
    out.extend((m.subscribed.len() as u32).to_be_bytes());
    for name in &m.subscribed {
        put(&mut out, name);
    }
    out
}

fn decode_member(r: &MemberRow, nonce: u64, now: Instant) -> Option<CMember> {
    let mut b = &r.metadata[..];
    if take(&mut b, 1)? != [VERSION] {
        return None;
    }
    let epoch = i32::from_be_bytes(take(&mut b, 4)?.try_into().ok()?);
    let previous_epoch = i32::from_be_bytes(take(&mut b, 4)?.try_into().ok()?);
    let rack_id = get_opt(&mut b)?;
    let assignor = get_opt(&mut b)?;
    let regex = get_opt(&mut b)?;
    let count = u32::from_be_bytes(take(&mut b, 4)?.try_into().ok()?) as usize;
    // Each name takes at least its four length bytes.
    if count > b.len() / 4 {
        return None;
    }
    let mut subscribed = BTreeSet::new();
    for _ in 0..count {
        subscribed.insert(get(&mut b)?);
    }
    if !b.is_empty() || epoch < 0 {
        return None;
    }
    let mut m = CMember::new(r.member_id.clone(), nonce, now);
    m.instance_id = r.group_instance_id.clone();
    m.client_id = r.client_id.clone();
    m.client_host = r.client_host.clone();
    m.rebalance_timeout_ms = r.rebalance_timeout_ms;
    m.epoch = epoch;
    m.previous_epoch = previous_epoch;
    m.rack_id = rack_id;
    m.assignor = assignor;
    m.regex = regex;
    m.subscribed = subscribed;
    Some(m)
}

fn encode_assignment(a: &TopicAssignment) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend((a.len() as u32).to_be_bytes());
    for (topic, parts) in a {
        out.extend(topic.as_bytes());
        out.extend((parts.len() as u32).to_be_bytes());
        for p in parts {
            out.extend(p.to_be_bytes());
        }
    }
    out
}

fn decode_assignment(bytes: &[u8]) -> Option<TopicAssignment> {
    let mut b = bytes;
    let topics = u32::from_be_bytes(take(&mut b, 4)?.try_into().ok()?) as usize;
    // Each topic takes at least its id and count: 20 bytes.
    if topics > b.len() / 20 {
        return None;
    }
    let mut out = TopicAssignment::new();
    for _ in 0..topics {
        let id = Uuid::from_bytes(take(&mut b, 16)?.try_into().ok()?);
        let n = u32::from_be_bytes(take(&mut b, 4)?.try_into().ok()?) as usize;
        if n > b.len() / 4 {
            return None;
        }
        let parts = out.entry(id).or_default();
        for _ in 0..n {
            parts.insert(i32::from_be_bytes(take(&mut b, 4)?.try_into().ok()?));
        }
    }
    b.is_empty().then_some(out)
}

fn put(out: &mut Vec<u8>, s: &str) {
    out.extend((s.len() as u32).to_be_bytes());
    out.extend(s.as_bytes());
}

fn put_opt(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            put(out, s);
        }
    }
}

fn get(b: &mut &[u8]) -> Option<String> {
    let len = u32::from_be_bytes(take(b, 4)?.try_into().ok()?) as usize;
    String::from_utf8(take(b, len)?.to_vec()).ok()
}

fn get_opt(b: &mut &[u8]) -> Option<Option<String>> {
    match take(b, 1)? {
        [0] => Some(None),
        [1] => get(b).map(Some),
        _ => None,
    }
}

fn take<'a>(b: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if b.len() < n {
        return None;
    }
    let (head, tail) = b.split_at(n);
    *b = tail;
    Some(head)
}
