//! Writer tests.

mod group_commit;
