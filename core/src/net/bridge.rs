//! The bridge from tokio tasks to the writer on the worker's main thread.
//!
//! Tokio side: a bounded channel of [`Command`]s plus one byte written to a socketpair to wake
//! the main thread, which sleeps in Postgres' WaitLatchOrSocket on the other end. No Postgres call
//! is ever made from a tokio thread. Ordering: a command is queued before its wake byte is
//! written, and the main thread clears wake bytes before draining, so no command is left behind.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::writer::Command;

/// Commands that may wait for the writer before senders are held back.
pub const QUEUE_CAPACITY: usize = 8192;

/// The writer is gone (the worker is shutting down).
#[derive(Debug, thiserror::Error)]
#[error("the writer is not running")]
pub struct WriterGone;

/// Tokio side of the bridge. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Bridge {
    tx: mpsc::Sender<Command>,
    wake: Arc<UnixStream>,
}

/// Main-thread side of the bridge.
#[derive(Debug)]
pub struct Inbox {
    rx: mpsc::Receiver<Command>,
    wake: UnixStream,
}

/// A connected bridge and inbox.
pub fn bridge() -> std::io::Result<(Bridge, Inbox)> {
    let (a, b) = UnixStream::pair()?;
    a.set_nonblocking(true)?;
    b.set_nonblocking(true)?;
    let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
    Ok((
        Bridge {
            tx,
            wake: Arc::new(a),
        },
        Inbox { rx, wake: b },
    ))
}

impl Bridge {
    /// Queue a command for the writer, waiting while the queue is full.
    pub async fn send(&self, cmd: Command) -> Result<(), WriterGone> {
        self.tx.send(cmd).await.map_err(|_| WriterGone)?;
        // A full socket buffer means a wake-up is already pending; nothing is lost.
        let _ = (&*self.wake).write(&[1]);
        Ok(())
    }
}

impl Inbox {
    /// The descriptor that becomes readable when commands are queued.
    pub fn wake_fd(&self) -> RawFd {
        self.wake.as_raw_fd()
    }

    /// Take up to `max` queued commands without blocking. When it returns `max` commands more
    /// may be queued: call again before waiting.
    pub fn drain(&mut self, max: usize) -> Vec<Command> {
        let mut sink = [0u8; 256];
        while let Ok(n) = (&self.wake).read(&mut sink) {
            if n == 0 {
                break;
            }
        }
        let mut out = Vec::new();
        while out.len() < max {
            match self.rx.try_recv() {
                Ok(cmd) => out.push(cmd),
                Err(_) => break,
            }
        }
        out
    }
}
