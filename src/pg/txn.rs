//! Transactions for the worker that survive Postgres ERRORs.
//!
//! A Postgres ERROR inside SPI longjmps; pgrx turns it into a Rust panic, which would end the
//! worker. `run` catches it, aborts the transaction, and returns the message, so that one failed
//! group commit fails only the requests in it. Only the worker's main thread calls this.

use pgrx::pg_sys;
use pgrx::pg_sys::panic::CaughtError;
use pgrx::PgTryBuilder;

/// Run `body` in its own transaction and commit it. On any ERROR (in `body` or at COMMIT) the
/// transaction is aborted and the error message returned; nothing of it is durable.
pub fn run<R>(body: impl FnOnce() -> R + std::panic::UnwindSafe) -> Result<R, String> {
    // SAFETY: called on the worker's main thread, outside any transaction.
    unsafe {
        pg_sys::SetCurrentStatementStartTimestamp();
        pg_sys::StartTransactionCommand();
        pg_sys::PushActiveSnapshot(pg_sys::GetTransactionSnapshot());
    }
    PgTryBuilder::new(move || {
        let out = body();
        // SAFETY: the transaction started above is still current.
        unsafe {
            pg_sys::PopActiveSnapshot();
            pg_sys::CommitTransactionCommand();
        }
        Ok(out)
    })
    .catch_others(|caught| {
        // SAFETY: the error state was flushed by pgrx when it caught the ERROR; aborting the
        // current transaction releases its locks, snapshots, SPI and memory.
        unsafe { pg_sys::AbortCurrentTransaction() };
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
