//! The tokio runtime thread and the listener.
//!
//! The runtime runs on threads that block every signal: Postgres' signal handlers must only ever
//! run on the worker's main thread. The listener opens only after recovery has rebuilt memory.
//!
//! Postgres children start with a soft open-files limit that is often 1024, below
//! `pg_kafka.max_connections` plus Postgres' own descriptors; past it `accept` fails with EMFILE and
//! new clients hang in the backlog instead of being served or closed. `start` raises the soft limit
//! toward the hard limit, enough for `max_connections` plus `FD_HEADROOM`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::timeout;

use super::connection::{self, Origin};
use super::tls::subject_cn;
use super::Budget;
use crate::broker::Ctx;

/// Descriptors kept beyond `max_connections` for Postgres' own files and the runtime.
pub const FD_HEADROOM: u64 = 1024;

/// A running network side: dropping or calling `shutdown` stops the listener and connections.
pub struct Server {
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Where each listener of the config is bound, in its order.
    pub local_addrs: Vec<SocketAddr>,
}

impl Server {
    /// Stop accepting, close connections, and join the runtime thread.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Start the runtime on its own thread (signals blocked) and bind every listener; `on_start` runs
/// inside the runtime once they are bound (background tasks such as the cleaner). Connections of
/// all listeners share one connection limit and one in-flight budget.
pub fn start(
    ctx: Arc<Ctx>,
    worker_threads: usize,
    on_start: impl FnOnce() + Send + 'static,
) -> std::io::Result<Server> {
    raise_fd_limit(ctx.config.max_connections as u64 + FD_HEADROOM);
    if ctx.tls.is_none() && ctx.config.listeners.iter().any(|l| l.protocol.tls()) {
        return Err(std::io::Error::other(
            "a TLS listener needs a certificate and key",
        ));
    }
    let addrs: Vec<String> = ctx
        .config
        .listeners
        .iter()
        .map(|l| l.bind_address())
        .collect();
    let (stop, stop_rx) = watch::channel(false);
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<std::io::Result<Vec<SocketAddr>>>();
    let thread = with_signals_blocked(|| {
        std::thread::Builder::new()
            .name("pg_kafka-net".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(worker_threads.max(1))
                    .thread_name("pg_kafka-io")
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                rt.block_on(async move {
                    let mut listeners = Vec::new();
                    for addr in &addrs {
                        match TcpListener::bind(addr).await {
                            Ok(l) => listeners.push(l),
                            Err(e) => {
                                let e = std::io::Error::new(e.kind(), format!("{addr}: {e}"));
                                let _ = ready_tx.send(Err(e));
                                return;
                            }
                        }
                    }
                    let bound = listeners.iter().map(|l| l.local_addr()).collect();
                    let _ = ready_tx.send(bound);
                    if ctx.authz.enabled() {
                        // Connections wait in the backlog until the first ACL state is read.
                        if let Err(e) = crate::broker::acl_common::refresh(&ctx).await {
                            eprintln!(
                                "pg_kafka: cannot read the ACLs ({e}): only retries until they are"
                            );
                        }
                        tokio::spawn(crate::broker::acl_common::refresh_loop(
                            ctx.clone(),
                            stop_rx.clone(),
                        ));
                    }
                    // Session timers of recovered group members run from now on.
                    ctx.groups.start();
                    on_start();
                    let open = Arc::new(AtomicUsize::new(0));
                    let budget = Budget::new(ctx.config.max_inflight_bytes);
                    let loops: Vec<_> = listeners
                        .into_iter()
                        .enumerate()
                        .map(|(i, l)| {
                            let shared = (ctx.clone(), open.clone(), budget.clone());
                            tokio::spawn(accept_loop(l, i, shared, stop_rx.clone()))
                        })
                        .collect();
                    for l in loops {
                        let _ = l.await;
                    }
                });
                rt.shutdown_timeout(std::time::Duration::from_secs(1));
            })
    })?;
    let local_addrs = ready_rx
        .recv()
        .map_err(|_| std::io::Error::other("network thread exited before binding"))??;
    Ok(Server {
        stop,
        thread: Some(thread),
        local_addrs,
    })
}

type Shared = (Arc<Ctx>, Arc<AtomicUsize>, Arc<Budget>);

/// Accept connections of listener `index` until stopped.
async fn accept_loop(
    listener: TcpListener,
    index: usize,
    (ctx, open, budget): Shared,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = stop.changed() => return,
        };
        let (socket, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                // Out of descriptors and the like: back off briefly instead of spinning.
                eprintln!("pg_kafka: accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        if open.load(Ordering::Relaxed) >= ctx.config.max_connections {
            drop(socket);
            continue;
        }
        let _ = socket.set_nodelay(true);
        open.fetch_add(1, Ordering::Relaxed);
        let ctx = ctx.clone();
        let open = open.clone();
        let stop = stop.clone();
        let budget = budget.clone();
        tokio::spawn(async move {
            serve_socket(socket, peer, index, ctx, budget, stop).await;
            open.fetch_sub(1, Ordering::Relaxed);
        });
    }
}

/// Serve one accepted socket: over TLS (after a handshake that must finish within the request
/// timeout) on an SSL or SASL_SSL listener, as it is otherwise.
async fn serve_socket(
    socket: TcpStream,
    peer: SocketAddr,
    listener: usize,
    ctx: Arc<Ctx>,
    budget: Arc<Budget>,
    stop: watch::Receiver<bool>,
) {
    if !ctx.config.listener(listener).protocol.tls() {
        let (rd, wr) = socket.into_split();
        let origin = Origin {
            peer,
            listener,
            cert_cn: None,
        };
        return connection::serve(rd, wr, origin, ctx, budget, stop).await;
    }
    let Some(tls) = ctx.tls.clone() else {
        // start() refuses TLS listeners without TLS material; nothing to serve with.
        return;
    };
    let stall = Duration::from_millis(ctx.config.request_timeout_ms);
    let stream = match timeout(stall, tls.acceptor().accept(socket)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            eprintln!("pg_kafka: TLS handshake with {peer} failed: {e}");
            return;
        }
        Err(_) => {
            eprintln!(
                "pg_kafka: TLS handshake with {peer} did not finish within the request timeout"
            );
            return;
        }
    };
    let cert_cn = stream
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|chain| chain.first())
        .and_then(|cert| subject_cn(cert));
    let (rd, wr) = tokio::io::split(stream);
    let origin = Origin {
        peer,
        listener,
        cert_cn,
    };
    connection::serve(rd, wr, origin, ctx, budget, stop).await;
}

/// Run `f` with every signal blocked in the calling thread, so that threads it spawns inherit a
/// full mask; the old mask is restored afterwards.
fn with_signals_blocked<T>(f: impl FnOnce() -> T) -> T {
    // SAFETY: plain libc calls on a local, zero-initialised sigset_t.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut old);
        let out = f();
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        out
    }
}

/// Raise the soft RLIMIT_NOFILE to `want` (capped by the hard limit); never lowers it.
fn raise_fd_limit(want: u64) {
    // SAFETY: getrlimit/setrlimit on a local, initialised rlimit struct.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return;
        }
        let target = (want as libc::rlim_t).min(lim.rlim_max);
        if lim.rlim_cur < target {
            lim.rlim_cur = target;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                eprintln!("pg_kafka: cannot raise the open-files limit to {target}");
            }
        }
    }
}
