//! The pgrx boundary: everything that calls Postgres. The GUCs, the background worker and its
//! main loop, the SPI-backed store, transactions that survive Postgres ERRORs, and the SQL
//! functions that decode stored batches. Nothing outside this module imports pgrx.

/// The text of one statement of sql/queries/, compiled in.
macro_rules! query {
    ($name:literal) => {
        include_str!(concat!("../../sql/queries/", $name, ".sql"))
    };
}

pub(crate) mod bytea_array;
mod cleaner;
mod consistency;
mod guc;
mod memory;
mod plans;
mod shmem;
mod sql;
mod statistics;
pub(crate) mod store;
mod store_acls;
mod store_cleaner;
pub(crate) mod store_groups;
mod store_producers;
mod store_roles;
mod txn;
mod worker;

#[cfg(any(test, feature = "pg_test"))]
mod tests;

use pgrx::pg_sys;

/// Called from `_PG_init`. GUCs of context postmaster and the static worker can only be
/// registered while shared_preload_libraries is being processed; loaded any other way (for
/// example by `CREATE EXTENSION` in a backend) the SQL functions still work but no broker runs.
pub fn init() {
    // SAFETY: a plain read of a Postgres global on the main thread.
    let preloading = unsafe { pg_sys::process_shared_preload_libraries_in_progress };
    if !preloading {
        return;
    }
    guc::define();
    shmem::init();
    worker::register();
}
