//! Consumer-group changes of one group commit, merged in command order.
//!
//! A group commit carries the group writes of many coordinator commands (offset commits, offset
//! deletes, group rows, group deletes). The store applies a write set by kind, not by command,
//! so the merge keeps at most one change per key, resolved as the commands would have been one
//! after another: a later change of a key replaces an earlier one, and deleting a group drops
//! every earlier change of that group. The store then applies group deletes, group rows, offset
//! deletes and offset commits, and ends where the commands in sequence would have.

use indexmap::{IndexMap, IndexSet};
use uuid::Uuid;

use super::GroupWrite;
use crate::store::{ExpiredOffset, GroupRow, OffsetRow, WriteSet};

type OffsetKey = (String, Uuid, i32);

/// The merged changes, in the order keys first appeared.
#[derive(Default)]
pub(super) struct GroupChanges {
    /// Conditional on the rows still being expired: order with the rest does not matter.
    expire_offsets: Vec<ExpiredOffset>,
    expire_groups: IndexSet<String>,
    delete_groups: IndexSet<String>,
    put_groups: IndexMap<String, GroupRow>,
    delete_offsets: IndexSet<OffsetKey>,
    commit_offsets: IndexMap<OffsetKey, OffsetRow>,
}

impl GroupChanges {
    /// Add one command's changes after everything added so far. Within one command the
    /// changes take effect as deletes of groups, then group rows, then offset deletes, then
    /// offset commits.
    pub fn add(&mut self, w: GroupWrite) {
        self.expire_offsets.extend(w.expire_offsets);
        self.expire_groups.extend(w.expire_groups);
        for g in w.delete_groups {
            self.put_groups.shift_remove(&g);
            self.commit_offsets.retain(|k, _| k.0 != g);
            self.delete_offsets.retain(|k| k.0 != g);
            self.delete_groups.insert(g);
        }
        for row in w.put_groups {
            self.put_groups.insert(row.group_id.clone(), row);
        }
        for key in w.delete_offsets {
            self.commit_offsets.shift_remove(&key);
            self.delete_offsets.insert(key);
        }
        for o in w.commit_offsets {
            let key = (o.group_id.clone(), o.topic_id, o.partition);
            self.delete_offsets.shift_remove(&key);
            self.commit_offsets.insert(key, o);
        }
    }

    /// Move the merged changes into `ws`.
    pub fn into_write_set(self, ws: &mut WriteSet) {
        ws.expire_offsets.extend(self.expire_offsets);
        ws.expire_groups.extend(self.expire_groups);
        ws.delete_groups.extend(self.delete_groups);
        ws.put_groups.extend(self.put_groups.into_values());
        ws.delete_offsets.extend(self.delete_offsets);
        ws.commit_offsets.extend(self.commit_offsets.into_values());
    }
}
