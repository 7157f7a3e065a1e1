//! The worker's view in shared memory: every partition's high watermark, log start and last
//! stable offset, for backends that must see what the worker holds without asking it over the
//! Kafka port (`kafka.check_consistency()`, the operator views).
//!
//! Layout: a header, then `pg_kafka.max_partitions` fixed-size slots, reserved at server start
//! (`shmem_request_hook` on PG 15+, `_PG_init` before). The worker is the only writer. A
//! backend asks for a fresh view (`request`), wakes the worker's latch, and waits until the
//! worker has written one (`published` reaches its ticket); every write is framed by a sequence
//! number that is odd while it runs, so a reader copies the slots and retries if it changed.
//! `kafka.run_cleaner()` asks for a cleaner pass the same way, by ticket, and reads its report.
//! Nothing here decodes bytes a client sent.

use std::sync::atomic::{fence, AtomicI32, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use pgrx::pg_sys;
use uuid::Uuid;

use super::guc;

#[repr(C)]
struct Header {
    /// Odd while the worker writes the slots.
    seq: AtomicU64,
    /// Tickets: views asked for, and the newest one written.
    requested: AtomicU64,
    published: AtomicU64,
    worker_pid: AtomicI32,
    /// Slots in use, and slots reserved.
    count: AtomicU32,
    capacity: AtomicU32,
    /// The view lists every partition (false when there were more than `capacity`).
    complete: AtomicU32,
    /// Cleaner passes asked for by `kafka.run_cleaner()`, the newest one finished, and its
    /// report (`REPORT_FIELDS` counters, written before `cleaner_done`).
    cleaner_asked: AtomicU64,
    cleaner_done: AtomicU64,
    /// Odd while the worker writes `report`.
    report_seq: AtomicU64,
    report: [AtomicU64; REPORT_FIELDS],
}

/// Counters of one cleaner pass report.
pub const REPORT_FIELDS: usize = 10;

/// One partition as the worker's memory holds it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PartitionView {
    pub topic_id: [u8; 16],
    pub partition: i32,
    pub high_watermark: i64,
    pub log_start_offset: i64,
    pub last_stable_offset: i64,
    pub cached_bytes: i64,
}

static mut REGION: *mut u8 = std::ptr::null_mut();

#[cfg(not(any(feature = "pg13", feature = "pg14")))]
static mut PREV_REQUEST: pg_sys::shmem_request_hook_type = None;
static mut PREV_STARTUP: pg_sys::shmem_startup_hook_type = None;

fn capacity() -> usize {
    guc::MAX_PARTITIONS.get().max(1) as usize
}

fn size() -> usize {
    std::mem::size_of::<Header>() + capacity() * std::mem::size_of::<PartitionView>()
}

/// Reserve the region (called from `_PG_init` while preloading, after the GUCs are defined).
pub fn init() {
    // SAFETY: _PG_init runs in the postmaster before any other process exists; the hooks are
    // chained as Postgres documents.
    unsafe {
        #[cfg(not(any(feature = "pg13", feature = "pg14")))]
        {
            PREV_REQUEST = pg_sys::shmem_request_hook;
            pg_sys::shmem_request_hook = Some(request_hook);
        }
        #[cfg(any(feature = "pg13", feature = "pg14"))]
        pg_sys::RequestAddinShmemSpace(size());
        PREV_STARTUP = pg_sys::shmem_startup_hook;
        pg_sys::shmem_startup_hook = Some(startup_hook);
    }
}

#[cfg(not(any(feature = "pg13", feature = "pg14")))]
#[pgrx::pg_guard]
unsafe extern "C-unwind" fn request_hook() {
    // SAFETY: called by the postmaster in its shmem request phase.
    unsafe {
        if let Some(prev) = PREV_REQUEST {
            prev();
        }
        pg_sys::RequestAddinShmemSpace(size());
    }
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn startup_hook() {
    // SAFETY: called by the postmaster while it creates shared memory, before any child runs
    // (children inherit the mapping and this pointer by fork).
    unsafe {
        if let Some(prev) = PREV_STARTUP {
            prev();
        }
        let mut found = false;
        let p = pg_sys::ShmemInitStruct(c"pg_kafka view".as_ptr(), size(), &mut found);
        if !found {
            std::ptr::write_bytes(p as *mut u8, 0, size());
            let h = &*(p as *const Header);
            h.capacity.store(capacity() as u32, Ordering::Relaxed);
        }
        REGION = p as *mut u8;
    }
}

fn header() -> Option<&'static Header> {
    // SAFETY: REGION is set once by the startup hook, before any process reads it, and points
    // at a region at least as large as a Header.
    unsafe { (REGION as *const Header).as_ref() }
}

fn slots(h: &Header) -> *mut PartitionView {
    // SAFETY: the slots follow the header inside the region (see `size`).
    unsafe {
        (h as *const Header as *mut u8).add(std::mem::size_of::<Header>()) as *mut PartitionView
    }
}

/// The worker announces itself, so backends know whose latch to set.
pub fn register_worker() {
    if let Some(h) = header() {
        // SAFETY: plain read of this process's pid.
        h.worker_pid
            .store(unsafe { pg_sys::MyProcPid }, Ordering::Release);
    }
}

/// Set the worker's latch (backends), so it looks at what was asked at once.
fn wake_worker(h: &Header) {
    let pid = h.worker_pid.load(Ordering::Acquire);
    if pid > 0 {
        // SAFETY: a backend's main thread; BackendPidGetProc returns null for a gone process.
        unsafe {
            let proc_ = pg_sys::BackendPidGetProc(pid);
            if !proc_.is_null() {
                pg_sys::SetLatch(&mut (*proc_).procLatch);
            }
        }
    }
}

/// Whether the worker process is alive (backends).
fn worker_alive(h: &Header) -> bool {
    let pid = h.worker_pid.load(Ordering::Acquire);
    // SAFETY: BackendPidGetProc only looks the pid up in the proc array.
    pid > 0 && !unsafe { pg_sys::BackendPidGetProc(pid) }.is_null()
}

/// The ticket of a cleaner pass asked for and not started yet (worker only).
pub fn cleaner_wanted() -> Option<u64> {
    let h = header()?;
    let asked = h.cleaner_asked.load(Ordering::Acquire);
    (asked > h.cleaner_done.load(Ordering::Acquire)).then_some(asked)
}

/// Publish the report of the pass that served every ticket up to `ticket` (worker only).
pub fn cleaner_finished(ticket: u64, report: [u64; REPORT_FIELDS]) {
    let Some(h) = header() else { return };
    h.report_seq.fetch_add(1, Ordering::AcqRel);
    fence(Ordering::Release);
    for (slot, v) in h.report.iter().zip(report) {
        slot.store(v, Ordering::Relaxed);
    }
    fence(Ordering::Release);
    h.report_seq.fetch_add(1, Ordering::AcqRel);
    h.cleaner_done.fetch_max(ticket, Ordering::AcqRel);
}

/// Ask the worker for a full cleaner pass and wait for its report (backends). Waits as long as
/// the pass takes, answering cancels and statement_timeout; fails if the worker goes away.
pub fn run_cleaner() -> Result<[u64; REPORT_FIELDS], String> {
    let h = header().ok_or("pg_kafka is not in shared_preload_libraries")?;
    if !worker_alive(h) {
        return Err("the pg_kafka worker is not running".into());
    }
    let ticket = h.cleaner_asked.fetch_add(1, Ordering::AcqRel) + 1;
    wake_worker(h);
    let mut checked = Instant::now();
    loop {
        if h.cleaner_done.load(Ordering::Acquire) >= ticket {
            let seq = h.report_seq.load(Ordering::Acquire);
            let report = std::array::from_fn(|i| h.report[i].load(Ordering::Relaxed));
            fence(Ordering::Acquire);
            // A newer report was being written while this one was copied: read it again.
            if seq % 2 == 0 && h.report_seq.load(Ordering::Acquire) == seq {
                return Ok(report);
            }
            std::thread::yield_now();
            continue;
        }
        std::thread::sleep(Duration::from_millis(5));
        pgrx::check_for_interrupts!();
        if checked.elapsed() >= Duration::from_secs(1) {
            checked = Instant::now();
            if !worker_alive(h) {
                return Err("the pg_kafka worker stopped before the pass finished".into());
            }
        }
    }
}

/// Whether a backend asked for a view the worker has not written yet.
pub fn wanted() -> bool {
    header()
        .is_some_and(|h| h.requested.load(Ordering::Acquire) > h.published.load(Ordering::Acquire))
}

/// Write the view (worker only): `partitions` in any order, at most `capacity` of them.
pub fn publish(partitions: impl Iterator<Item = (Uuid, i32, i64, i64, i64, i64)>) {
    let Some(h) = header() else { return };
    let ticket = h.requested.load(Ordering::Acquire);
    let cap = h.capacity.load(Ordering::Relaxed) as usize;
    let base = slots(h);
    h.seq.fetch_add(1, Ordering::AcqRel); // odd: writing
    fence(Ordering::Release);
    let mut n = 0usize;
    let mut complete = true;
    for (id, partition, hw, start, lso, cached) in partitions {
        if n == cap {
            complete = false;
            break;
        }
        let view = PartitionView {
            topic_id: *id.as_bytes(),
            partition,
            high_watermark: hw,
            log_start_offset: start,
            last_stable_offset: lso,
            cached_bytes: cached,
        };
        // SAFETY: n < capacity, inside the region; only the worker writes slots.
        unsafe { std::ptr::write_volatile(base.add(n), view) };
        n += 1;
    }
    h.count.store(n as u32, Ordering::Relaxed);
    h.complete.store(u32::from(complete), Ordering::Relaxed);
    fence(Ordering::Release);
    h.seq.fetch_add(1, Ordering::AcqRel); // even: done
    h.published.fetch_max(ticket, Ordering::AcqRel);
}

/// A fresh view from the worker (backends): (partitions, whether the view is complete). Waits
/// at most `timeout` for the worker.
pub fn snapshot(timeout: Duration) -> Result<(Vec<PartitionView>, bool), String> {
    let h = header().ok_or("pg_kafka is not in shared_preload_libraries")?;
    let ticket = h.requested.fetch_add(1, Ordering::AcqRel) + 1;
    wake_worker(h);
    let deadline = Instant::now() + timeout;
    while h.published.load(Ordering::Acquire) < ticket {
        if Instant::now() > deadline {
            return Err("the pg_kafka worker did not answer: is it running?".into());
        }
        std::thread::sleep(Duration::from_millis(2));
        pgrx::check_for_interrupts!();
    }
    loop {
        let before = h.seq.load(Ordering::Acquire);
        if before % 2 == 1 {
            std::thread::yield_now();
            continue;
        }
        let n = h.count.load(Ordering::Relaxed) as usize;
        let base = slots(h);
        // SAFETY: n <= capacity; slots are plain data, and a torn read is detected by `seq`.
        let out: Vec<PartitionView> = (0..n)
            .map(|i| unsafe { std::ptr::read_volatile(base.add(i)) })
            .collect();
        let complete = h.complete.load(Ordering::Relaxed) == 1;
        fence(Ordering::Acquire);
        if h.seq.load(Ordering::Acquire) == before {
            return Ok((out, complete));
        }
    }
}
