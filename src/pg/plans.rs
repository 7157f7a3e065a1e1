//! The batch INSERT, planned once per worker as a generic plan.
//!
//! SPI's one-shot statements (`SPI_execute_with_args`, what `SpiClient::update` runs) mark every
//! parameter constant, so the planner folds it into the plan as a `Const`: a copy of the whole
//! `bytea[]` of a group commit, alive until the statement ends. A generic plan keeps parameters
//! as parameters, read in place at execution. Planning once also saves a parse and plan per
//! commit. Postgres replans a kept plan by itself when the table changes.

use std::cell::Cell;

use pgrx::datum::DatumWithOid;
use pgrx::pg_sys;
use pgrx::spi::{Spi, SpiResult};

thread_local! {
    /// The kept plan (main thread only; SPI lives there).
    static INSERT_BATCHES: Cell<pg_sys::SPIPlanPtr> = const { Cell::new(std::ptr::null_mut()) };
}

/// Run `insert_batches.sql` with `args` (inside an SPI connection).
pub fn insert_batches(args: &[DatumWithOid<'_>]) -> SpiResult<()> {
    let plan = INSERT_BATCHES.with(|cell| {
        if cell.get().is_null() {
            let mut types: Vec<pg_sys::Oid> = args.iter().map(|a| a.oid()).collect();
            let sql = std::ffi::CString::new(query!("insert_batches"))
                .expect("the query text has no NUL");
            // SAFETY: inside an SPI connection on the main thread; the text and the types
            // outlive the call, and SPI_keepplan moves the plan out of the SPI procedure memory.
            unsafe {
                let plan = pg_sys::SPI_prepare_cursor(
                    sql.as_ptr(),
                    types.len() as i32,
                    types.as_mut_ptr(),
                    pg_sys::CURSOR_OPT_GENERIC_PLAN as i32,
                );
                if plan.is_null() {
                    return Err(Spi::check_status(pg_sys::SPI_result).err());
                }
                pg_sys::SPI_keepplan(plan);
                cell.set(plan);
            }
        }
        Ok(cell.get())
    });
    let plan = match plan {
        Ok(p) => p,
        Err(Some(e)) => return Err(e),
        Err(None) => return Err(pgrx::spi::Error::NoTupleTable),
    };
    let mut values: Vec<pg_sys::Datum> = Vec::with_capacity(args.len());
    let mut nulls: Vec<std::ffi::c_char> = Vec::with_capacity(args.len());
    for a in args {
        match a.datum() {
            Some(d) => {
                values.push(d.sans_lifetime());
                nulls.push(b' ' as std::ffi::c_char);
            }
            None => {
                values.push(pg_sys::Datum::from(0usize));
                nulls.push(b'n' as std::ffi::c_char);
            }
        }
    }
    // SAFETY: the plan was prepared for exactly these argument types (the same call site builds
    // them every time), and the datums live until this returns.
    let rc =
        unsafe { pg_sys::SPI_execute_plan(plan, values.as_mut_ptr(), nulls.as_ptr(), false, 0) };
    Spi::check_status(rc).map(|_| ())
}
