//! Crash-test failpoints: named points in the group commit where a test build kills its own
//! worker with SIGKILL, so the crash harness (recovery/) can crash it at a precise instant.
//!
//! Compiled in only with the `failpoints` cargo feature; without it `hit` is an empty inline
//! function and release builds carry nothing. With it, `hit(name)` reads the file
//! `pg_kafka_failpoint` in the current directory (the worker's cwd is the data directory): when
//! the file names this failpoint, the file is removed (one shot) and the process raises SIGKILL,
//! a real crash that Postgres answers with its crash restart. Owns no state; never touches
//! Postgres.

/// Name of the switch file, relative to the worker's working directory (`$PGDATA`).
pub const SWITCH_FILE: &str = "pg_kafka_failpoint";

/// A failpoint: no-op unless compiled with `failpoints` and armed through `SWITCH_FILE`.
#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub fn hit(_name: &str) {}

/// A failpoint: crashes the process when `SWITCH_FILE` names `name`.
#[cfg(feature = "failpoints")]
pub fn hit(name: &str) {
    let Ok(armed) = std::fs::read_to_string(SWITCH_FILE) else {
        return;
    };
    if armed.trim() == name {
        let _ = std::fs::remove_file(SWITCH_FILE);
        eprintln!("pg_kafka: failpoint {name} hit: raising SIGKILL");
        // SAFETY: raise has no memory-safety preconditions; SIGKILL ends the process here.
        unsafe {
            libc::raise(libc::SIGKILL);
        }
    }
}
