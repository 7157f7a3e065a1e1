//! Transactions for the worker that survive Postgres ERRORs and never commit a failed body.
//!
//! A Postgres ERROR inside SPI longjmps; pgrx turns it into a Rust panic, which would end the
//! worker. `run` catches it, rolls the work back, and returns the message, so that one failed
//! group commit fails only the requests in it. A body that returns `Err` is rolled back too:
//! nothing of a write set that failed part way is ever durable.
//!
//! Outside a transaction (the worker's main loop) the work is its own top-level transaction.
//! Inside one (a `#[pg_test]`, or a SQL function) it is an internal subtransaction, released on
//! success and rolled back on failure, as PL/pgSQL's exception blocks do. Only a Postgres main
//! thread calls this.

use std::fmt::Display;
use std::panic::AssertUnwindSafe;

use pgrx::pg_sys;
use pgrx::pg_sys::panic::CaughtError;
use pgrx::PgTryBuilder;

/// Where the work runs and what to restore afterwards.
#[derive(Clone, Copy)]
enum Scope {
    /// A transaction of its own, started here.
    Top,
    /// An internal subtransaction of the caller's transaction.
    Sub {
        context: pg_sys::MemoryContext,
        owner: pg_sys::ResourceOwner,
    },
}

impl Scope {
    fn begin() -> Scope {
        // SAFETY: main thread; plain reads of Postgres globals and the documented ways to start
        // a transaction or an internal subtransaction.
        unsafe {
            if pg_sys::IsTransactionState() {
                let context = pg_sys::CurrentMemoryContext;
                let owner = pg_sys::CurrentResourceOwner;
                pg_sys::BeginInternalSubTransaction(std::ptr::null());
                // Run in the caller's memory context, as PL/pgSQL does.
                pg_sys::MemoryContextSwitchTo(context);
                // Read-only SPI reads with the active snapshot: give it one that sees what the
                // caller's transaction wrote so far, as each worker transaction's own does.
                pg_sys::CommandCounterIncrement();
                pg_sys::PushActiveSnapshot(pg_sys::GetTransactionSnapshot());
                Scope::Sub { context, owner }
            } else {
                pg_sys::SetCurrentStatementStartTimestamp();
                pg_sys::StartTransactionCommand();
                pg_sys::PushActiveSnapshot(pg_sys::GetTransactionSnapshot());
                Scope::Top
            }
        }
    }

    /// Make the work durable (top level) or part of the caller's transaction.
    fn commit(self) {
        // SAFETY: the transaction or subtransaction begun by `begin` is still current.
        unsafe {
            match self {
                Scope::Top => {
                    pg_sys::PopActiveSnapshot();
                    pg_sys::CommitTransactionCommand();
                }
                Scope::Sub { context, owner } => {
                    pg_sys::PopActiveSnapshot();
                    pg_sys::ReleaseCurrentSubTransaction();
                    pg_sys::MemoryContextSwitchTo(context);
                    pg_sys::CurrentResourceOwner = owner;
                }
            }
        }
    }

    /// Undo the work: after a body that returned `Err`, or after an ERROR (whose error state
    /// pgrx has already copied and flushed).
    fn roll_back(self) {
        // SAFETY: the transaction or subtransaction begun by `begin` is current (an ERROR leaves
        // it current and failed); aborting it releases its locks, snapshots, SPI and memory.
        unsafe {
            match self {
                Scope::Top => pg_sys::AbortCurrentTransaction(),
                Scope::Sub { context, owner } => {
                    pg_sys::MemoryContextSwitchTo(context);
                    pg_sys::RollbackAndReleaseCurrentSubTransaction();
                    pg_sys::MemoryContextSwitchTo(context);
                    pg_sys::CurrentResourceOwner = owner;
                }
            }
        }
    }
}

/// Run `body` atomically: kept if it returns `Ok`, rolled back if it returns `Err` or raises a
/// Postgres ERROR (in the body or at COMMIT). The error comes back as a message.
pub fn run<R, E: Display>(body: impl FnOnce() -> Result<R, E>) -> Result<R, String> {
    let scope = Scope::begin();
    let body = AssertUnwindSafe(body);
    PgTryBuilder::new(move || {
        // Take the wrapper whole: a closure would otherwise capture only its field.
        let body = body;
        match (body.0)() {
            Ok(r) => {
                scope.commit();
                Ok(r)
            }
            Err(e) => {
                scope.roll_back();
                Err(e.to_string())
            }
        }
    })
    .catch_others(move |caught| {
        scope.roll_back();
        Err(describe(&caught))
    })
    .execute()
}

fn describe(caught: &CaughtError) -> String {
    match caught {
        CaughtError::PostgresError(e) | CaughtError::ErrorReport(e) => {
            let mut s = e.message().to_string();
            if let Some(d) = e.detail() {
                s.push_str(": ");
                s.push_str(d);
            }
            s
        }
        CaughtError::RustPanic { ereport, .. } => format!("panic: {}", ereport.message()),
    }
}
