//! Writer tests.

mod expiry;
mod group_changes;
mod group_commit;
