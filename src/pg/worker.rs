//! The background worker: registration, startup, and the main loop that runs the writer.
//!
//! Startup: connect to `pg_kafka.database`, wait (not exit) until the extension exists, rebuild
//! memory from the tables, then open the listener. Main loop: sleep in WaitLatchOrSocket on the
//! latch and the bridge's wake socket; on wake drain every queued command and hand them to the
//! writer (group commit). SIGTERM stops cleanly; postmaster death exits. A panic here exits with
//! code 1 and the postmaster restarts the worker after `RESTART_DELAY`.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use pg_kafka_core::acl::Authorizer;
use pg_kafka_core::auth::Authenticator;
use pg_kafka_core::broker::Ctx;
use pg_kafka_core::cleaner::{Cleaner, PassReport, PendingPass};
use pg_kafka_core::group::Coordinator;
use pg_kafka_core::log::Registry;
use pg_kafka_core::writer::Writer;
use pg_kafka_core::{net, recovery};
use pgrx::bgworkers::{BackgroundWorker, BackgroundWorkerBuilder, SignalWakeFlags};
use pgrx::prelude::*;

use super::store::SpiStore;
use super::{guc, shmem, statistics, txn};

const RESTART_DELAY: Duration = Duration::from_secs(5);
/// Commands handed to the writer per group commit at most.
const MAX_COMMANDS_PER_COMMIT: usize = 4096;
/// Longest stretch of back-to-back group commits before the loop checks its settings again.
const YIELD_AFTER: Duration = Duration::from_millis(200);
/// How often the worker checks that its extension is still the one it loaded.
const EXTENSION_CHECK_INTERVAL: Duration = Duration::from_secs(1);
/// Tokio worker threads for the network.
const NET_THREADS: usize = 2;

pub fn register() {
    BackgroundWorkerBuilder::new("pg_kafka broker")
        .set_type("pg_kafka")
        .set_library("pg_kafka")
        .set_function("pg_kafka_worker_main")
        .enable_spi_access()
        .set_restart_time(Some(RESTART_DELAY))
        .load();
}

#[pg_guard]
#[unsafe(no_mangle)]
pub extern "C-unwind" fn pg_kafka_worker_main(_arg: pg_sys::Datum) {
    // Errors of malformed requests never capture a backtrace, even with RUST_BACKTRACE set in
    // the server's environment: a capture costs megabytes and milliseconds per bad frame.
    // Set while this process has one thread, before any error exists.
    std::env::set_var("RUST_LIB_BACKTRACE", "0");
    BackgroundWorker::attach_signal_handlers(SignalWakeFlags::SIGHUP | SignalWakeFlags::SIGTERM);
    keep_freed_memory();
    let database = guc::database();
    BackgroundWorker::connect_worker_to_spi(Some(&database), None);

    let Some(extension) = wait_for_extension(&database) else {
        return;
    };
    let config = match guc::broker_config() {
        Ok(c) => c,
        Err(e) => {
            // A postmaster setting: nothing changes until a restart, so the worker stops (exit 0
            // is not restarted) instead of failing every few seconds.
            warning!("pg_kafka: the broker does not start: {e}");
            return;
        }
    };
    let registry = Arc::new(Registry::with_caps(
        config.log_cache_size,
        config.max_topics,
        config.max_partitions,
    ));
    let cleaner_settings = Arc::new(RwLock::new(guc::cleaner_settings()));
    reload_topic_defaults(&registry);
    let mut store = SpiStore;
    match statistics::ensure() {
        Ok(Some(ms)) => {
            log!("pg_kafka: kafka.batches had no planner statistics: analyzed in {ms} ms")
        }
        Ok(None) => {}
        Err(e) => warning!("pg_kafka: cannot analyze kafka.batches: {e}"),
    }
    let started = std::time::Instant::now();
    let recovered = match recovery::rebuild(&mut store, &registry) {
        Ok(r) => r,
        Err(e) => panic!("pg_kafka: recovery failed: {e}"),
    };
    log!(
        "pg_kafka: recovered {} topics, {} partitions, {} cached bytes, {} groups, {} offsets in {} ms",
        recovered.topics,
        recovered.partitions,
        recovered.cached_bytes,
        recovered.groups.len(),
        recovered.offsets.len(),
        started.elapsed().as_millis()
    );

    let (bridge, mut inbox) = match net::bridge() {
        Ok(b) => b,
        Err(e) => panic!("pg_kafka: cannot create the wake socket: {e}"),
    };
    let groups = Arc::new(Coordinator::new(
        guc::group_limits(),
        bridge.clone(),
        registry.clone(),
        recovered.groups,
        recovered.offsets,
    ));
    let cleaner = Cleaner::new(registry.clone(), bridge.clone(), cleaner_settings.clone());
    let tls = match config.tls.as_ref().map(net::Tls::load).transpose() {
        Ok(t) => t.map(Arc::new),
        Err(e) => {
            warning!("pg_kafka: the broker does not start: TLS: {e}");
            return;
        }
    };
    let ctx = Arc::new(Ctx {
        config: config.clone(),
        registry: registry.clone(),
        bridge,
        groups,
        auth: Authenticator::with_secret(&mock_authentication_nonce()),
        tls: tls.clone(),
        authz: Authorizer::with_super_users(config.authorization, &config.super_users),
    });
    let starting = cleaner.clone();
    let server = match net::start(ctx, NET_THREADS, move || starting.start()) {
        Ok(s) => s,
        Err(e) => panic!("pg_kafka: cannot listen: {e}"),
    };
    for (l, addr) in config.listeners.iter().zip(&server.local_addrs) {
        log!(
            "pg_kafka: listening on {}://{addr} (advertised {}:{})",
            l.protocol.name(),
            l.advertised_host,
            l.advertised_port
        );
    }
    if config.sasl.plain_without_tls && config.listeners.iter().any(|l| l.protocol.sasl()) {
        warning!("pg_kafka: pg_kafka.sasl_plain_without_tls is on: PLAIN passwords cross the network in cleartext");
    }

    let mut writer = Writer::with_expiry(registry, guc::expiry_policy());
    writer.limit_commits(config.max_inflight_bytes / 2);
    // Transactions a crash left open are aborted (or completed if their commit was decided)
    // before the first command, so last stable offsets move on at once.
    writer.recover_transactions(&mut store);
    let wake_fd = inbox.wake_fd();
    shmem::register_worker();
    let mut checked = std::time::Instant::now();
    // Commands were left queued when the last burst of work yielded for housekeeping.
    let mut backlog = false;
    // A pass `kafka.run_cleaner()` asked for: its ticket and where its report arrives.
    let mut pass: Option<(u64, PendingPass)> = None;
    'serve: loop {
        let sleep = if backlog {
            Duration::ZERO
        } else if pass.is_some() {
            PASS_POLL
        } else {
            Duration::from_secs(1)
        };
        wait(Some(wake_fd), sleep);
        if stopping() {
            break;
        }
        if checked.elapsed() >= EXTENSION_CHECK_INTERVAL {
            checked = std::time::Instant::now();
            if extension_oid() != Some(extension) {
                // Dropped (and maybe re-created): memory no longer matches the tables. Exit with
                // an error so the postmaster restarts the worker, which rebuilds from the tables.
                server.shutdown();
                panic!("pg_kafka: the extension was dropped or re-created; restarting the worker");
            }
        }
        if BackgroundWorker::sighup_received() {
            // SAFETY: main thread; reloads postgresql.conf as every backend does on SIGHUP.
            unsafe { pg_sys::ProcessConfigFile(pg_sys::GucContext::PGC_SIGHUP) };
            *cleaner_settings.write().unwrap_or_else(|e| e.into_inner()) = guc::cleaner_settings();
            reload_topic_defaults(writer.registry());
            if let Some(tls) = &tls {
                reload_tls(tls);
            }
        }
        pass = serve_cleaner_asks(&cleaner, pass);
        writer.tick(&mut store);
        report_table_stats();
        if shmem::wanted() {
            publish_view(writer.registry());
        }
        let busy = std::time::Instant::now();
        backlog = false;
        loop {
            let commands = inbox.drain(MAX_COMMANDS_PER_COMMIT);
            if commands.is_empty() {
                break;
            }
            writer.process(&mut store, commands);
            give_back_released(writer.registry());
            // Under load the queue may never empty: signals are still seen at once, and the
            // housekeeping above runs at least once per `YIELD_AFTER`.
            if stopping() {
                break 'serve;
            }
            if busy.elapsed() >= YIELD_AFTER {
                backlog = true;
                break;
            }
        }
    }
    log!("pg_kafka: shutting down");
    server.shutdown();
}

/// The cluster's `mock_authentication_nonce` from pg_control (fixed at initdb), which Postgres
/// itself uses for the salts of unknown users.
fn mock_authentication_nonce() -> Vec<u8> {
    // SAFETY: main thread; the control file is loaded before any background worker starts, and
    // the nonce is MOCK_AUTH_NONCE_LEN bytes inside it, copied out at once.
    unsafe {
        let p = pg_sys::GetMockAuthenticationNonce() as *const u8;
        std::slice::from_raw_parts(p, pg_sys::MOCK_AUTH_NONCE_LEN as usize).to_vec()
    }
}

/// Read the certificate, key and CA again (pg_reload_conf): new connections use them; on error
/// the ones in use stay, as Postgres keeps its own SSL configuration.
fn reload_tls(tls: &net::Tls) {
    match guc::tls_files()
        .map_err(|e| e.to_string())
        .and_then(|f| tls.reload(&f).map_err(|e| e.to_string()))
    {
        Ok(()) => log!("pg_kafka: TLS certificates reloaded"),
        Err(e) => warning!("pg_kafka: TLS certificates not reloaded, keeping the ones in use: {e}"),
    }
}

/// Send this process's table statistics (rows inserted, deleted, dead) to the cumulative
/// statistics system. A backend does so whenever it goes idle; a background worker must do it
/// itself, or autovacuum never learns that the worker's deletes left dead rows (and never
/// vacuums kafka.batches), nor autoanalyze that its inserts changed the table. Postgres limits
/// how often this actually flushes (at most about once a second).
fn report_table_stats() {
    // SAFETY: main thread, between transactions (the writer commits or aborts every one).
    unsafe {
        let _ = pg_sys::pgstat_report_stat(false);
    }
}

/// How often the loop looks for the report of a pass a backend is waiting for.
const PASS_POLL: Duration = Duration::from_millis(20);

/// Start the pass a backend asked for, or hand the finished one's report to shared memory.
fn serve_cleaner_asks(
    cleaner: &Cleaner,
    pass: Option<(u64, PendingPass)>,
) -> Option<(u64, PendingPass)> {
    match pass {
        None => shmem::cleaner_wanted().map(|ticket| (ticket, cleaner.ask_pending())),
        Some((ticket, mut pending)) => match pending.poll() {
            None => Some((ticket, pending)),
            Some(done) => {
                // A cleaner that stopped (never, while serving) reports nothing: say so as an error.
                let r = done.unwrap_or(PassReport {
                    errors: 1,
                    ..PassReport::default()
                });
                shmem::cleaner_finished(
                    ticket,
                    [
                        r.partitions,
                        r.bytes_examined,
                        r.batches_removed,
                        r.bytes_removed,
                        r.batches_rewritten,
                        r.rewritten_from,
                        r.rewritten_to,
                        r.log_starts_moved,
                        r.errors,
                        r.millis,
                    ],
                );
                None
            }
        },
    }
}

/// Broker-level topic defaults from the settings (at start and on reload).
fn reload_topic_defaults(registry: &Registry) {
    let (defaults, problem) = guc::topic_defaults();
    if let Some(p) = problem {
        warning!("pg_kafka: {p}");
    }
    registry.set_topic_defaults(defaults);
}

/// Cache bytes freed since the last trim after which the heap is trimmed.
const TRIM_AFTER: usize = 32 << 20;

/// Give the memory of evicted or deleted batches back to the system once enough has been freed.
/// Batches under glibc's mmap threshold live in the heap, and freed heap pages stay resident
/// (see `keep_freed_memory`): without this, a cache turned over by large batches would leave
/// the worker holding its old contents as well as its new ones.
fn give_back_released(registry: &Registry) {
    if registry.cache().released() >= TRIM_AFTER {
        registry.cache().take_released();
        // SAFETY: malloc_trim only returns free pages of this process' arenas to the kernel.
        unsafe { libc::malloc_trim(0) };
    }
}

/// Group commits copy megabytes per transaction. With glibc's defaults every large buffer is a
/// fresh mmap, so each commit pays for page faults that zero new pages (measured at about a
/// quarter of the main thread's time); keep freed memory in the heap for reuse instead. The
/// worker's memory then stays near its peak group-commit size rather than shrinking after it.
fn keep_freed_memory() {
    // SAFETY: mallopt only changes glibc's allocation thresholds for this process.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
}

/// Write every partition's offsets to shared memory for the backend that asked.
fn publish_view(registry: &Registry) {
    let topics = registry.all();
    shmem::publish(topics.iter().flat_map(|t| {
        t.partitions.iter().enumerate().map(|(i, log)| {
            (
                t.id,
                i as i32,
                log.high_watermark(),
                log.log_start_offset(),
                log.last_stable_offset(),
                log.cached_bytes() as i64,
            )
        })
    }));
}

/// SIGTERM arrived or the postmaster is gone (this process was handed to another parent):
/// stop serving.
fn stopping() -> bool {
    // SAFETY: getppid has no preconditions; PostmasterPid is set before any worker starts.
    let orphaned = unsafe { libc::getppid() != pg_sys::PostmasterPid };
    BackgroundWorker::sigterm_received() || orphaned
}

/// Sleep until the latch is set, `fd` is readable, or the timeout passes; exit if the
/// postmaster died.
fn wait(fd: Option<i32>, timeout: Duration) {
    let mut events = pg_sys::WL_LATCH_SET | pg_sys::WL_TIMEOUT | pg_sys::WL_EXIT_ON_PM_DEATH;
    if fd.is_some() {
        events |= pg_sys::WL_SOCKET_READABLE;
    }
    // SAFETY: main thread; MyLatch is this process's latch; fd stays open while we wait.
    unsafe {
        pg_sys::WaitLatchOrSocket(
            pg_sys::MyLatch,
            events as i32,
            fd.unwrap_or(-1),
            timeout.as_millis() as _,
            pg_sys::PG_WAIT_EXTENSION,
        );
        pg_sys::ResetLatch(pg_sys::MyLatch);
    }
}

/// The oid of the installed extension, if it is installed.
fn extension_oid() -> Option<pg_sys::Oid> {
    txn::run(|| {
        Spi::get_one::<pg_sys::Oid>("SELECT oid FROM pg_extension WHERE extname = 'pg_kafka'")
    })
    .ok()
    .flatten()
}

/// Wait until `CREATE EXTENSION pg_kafka` has run; its oid, or None on SIGTERM.
fn wait_for_extension(database: &str) -> Option<pg_sys::Oid> {
    let mut logged = false;
    loop {
        if let Some(oid) = extension_oid() {
            return Some(oid);
        }
        if !logged {
            log!("pg_kafka: waiting for CREATE EXTENSION pg_kafka in database {database:?}");
            logged = true;
        }
        wait(None, Duration::from_secs(1));
        if BackgroundWorker::sigterm_received() {
            return None;
        }
    }
}
