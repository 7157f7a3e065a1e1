//! Offsets committed inside transactions: the KIP-447 membership checks of TxnOffsetCommit and
//! publishing the offsets of a committed transaction.
//!
//! Owns nothing of its own; it reads the groups and writes the committed offsets in memory
//! (the writer made them durable with the transaction's markers).

use std::sync::Arc;

use super::offsets::{CommitArgs, Committed};
use super::Coordinator;
use crate::error::KafkaResult;
use crate::store::OffsetRow;
use crate::writer::GroupWrite;

impl Coordinator {
    /// Check a TxnOffsetCommit against the group: with `member` (v3+: generation, member id,
    /// instance id) the member must be current (fenced otherwise); without it, the commit is
    /// from outside the group protocol.
    pub fn check_txn_commit(
        self: &Arc<Self>,
        group_id: &str,
        member: Option<(i32, String, Option<String>)>,
    ) -> KafkaResult<()> {
        self.ensure_started();
        let (generation, member_id, instance_id) = member.unwrap_or((-1, String::new(), None));
        let outside = generation < 0 && member_id.is_empty();
        let a = CommitArgs {
            group_id: group_id.to_owned(),
            generation,
            member_id,
            instance_id,
            topics: Vec::new(),
        };
        let mut st = self.lock();
        if outside
            && st
                .groups
                .get(group_id)
                .is_some_and(|g| !g.members.is_empty())
        {
            // A transactional producer outside the group may commit for a live group: it is
            // fenced by its epoch, not by membership (pre-KIP-447 clients).
            return Ok(());
        }
        let row = self.check_commit(&mut st, &a)?;
        drop(st);
        if let Some(row) = row {
            drop(self.persist(GroupWrite {
                put_groups: vec![row],
                ..GroupWrite::default()
            }));
        }
        Ok(())
    }

    /// Make the offsets of a committed transaction visible.
    pub fn apply_txn_offsets(&self, rows: &[OffsetRow]) {
        if rows.is_empty() {
            return;
        }
        let mut st = self.lock();
        let seq = st.next_seq;
        st.next_seq += 1;
        for o in rows {
            st.offsets
                .entry(o.group_id.clone())
                .or_default()
                .insert((o.topic_id, o.partition), Committed::from_row(o, seq));
        }
    }
}
