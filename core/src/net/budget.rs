//! The in-flight byte budget: memory held for clients, counted in bytes across all connections
//! and per connection.
//!
//! Owns: [`Budget`] (the broker-wide pool, `pg_kafka.max_inflight_bytes`) and [`Charge`] (bytes
//! taken from it and from one connection's share, given back when the charge is dropped).
//! Request bytes are charged as their buffer grows while they arrive (a frame over
//! [`LARGE_FRAME`] for its whole size before its first byte is read), and the charge travels
//! with the frame's bytes (`Bytes::from_owner`), so it is released when the last slice of the
//! request is freed (for a produce: after its group commit), not at decode. Encoded responses
//! are charged until they are written.
//!
//! Invariants: the pool never goes above its limit except by `force` (a response already built);
//! frames larger than [`LARGE_FRAME`] may not take the last [`Budget::reserve`] bytes (half the
//! budget), so large frames waiting for each other never hold up small requests, and the
//! batches the writer copies out of large frames (its working set, see `writer`) fit beside them
//! in the memory the budget stands for.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::Notify;

/// Frames above this size leave the reserve to smaller ones.
pub const LARGE_FRAME: usize = 1 << 20;

/// A counter of bytes with waiters.
#[derive(Debug, Default)]
pub struct Pool {
    used: AtomicUsize,
    freed: Notify,
}

impl Pool {
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }

    /// Take `bytes` if the pool stays at or below `limit`.
    fn try_take(&self, bytes: usize, limit: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |u| {
                (u.saturating_add(bytes) <= limit).then_some(u + bytes)
            })
            .is_ok()
    }

    fn give_back(&self, bytes: usize) {
        if bytes > 0 {
            self.used.fetch_sub(bytes, Ordering::AcqRel);
            self.freed.notify_waiters();
        }
    }

    /// Resolves once some bytes are given back after it is enabled.
    fn freed(&self) -> tokio::sync::futures::Notified<'_> {
        self.freed.notified()
    }

    /// Wait until at most `limit` bytes are used.
    pub async fn wait_below(&self, limit: usize) {
        loop {
            let freed = self.freed();
            tokio::pin!(freed);
            freed.as_mut().enable();
            if self.used() < limit {
                return;
            }
            freed.await;
        }
    }
}

/// The broker-wide budget.
#[derive(Debug)]
pub struct Budget {
    limit: usize,
    pool: Pool,
}

impl Budget {
    pub fn new(limit: usize) -> Arc<Self> {
        Arc::new(Budget {
            limit: limit.max(2 * LARGE_FRAME),
            pool: Pool::default(),
        })
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Bytes only frames up to [`LARGE_FRAME`] may take.
    pub fn reserve(&self) -> usize {
        self.limit / 2
    }

    /// Bytes held across all connections.
    pub fn used(&self) -> usize {
        self.pool.used()
    }

    /// A connection's share: while it holds more, it reads no new request.
    pub fn connection_share(&self) -> usize {
        (self.limit / 4).max(LARGE_FRAME)
    }

    fn limit_for(&self, frame_size: usize) -> usize {
        if frame_size > LARGE_FRAME {
            self.limit - self.reserve()
        } else {
            self.limit
        }
    }

    /// Wait until `bytes` more fit, then add them to `charge`. `frame_size` is the size of the
    /// frame they are for (large frames leave the reserve alone).
    pub async fn grow(&self, charge: &mut Charge, bytes: usize, frame_size: usize) {
        let limit = self.limit_for(frame_size);
        loop {
            let freed = self.pool.freed();
            tokio::pin!(freed);
            freed.as_mut().enable();
            if self.pool.try_take(bytes, limit) {
                charge.add(bytes);
                return;
            }
            freed.await;
        }
    }

    /// `bytes` charged whatever the budget holds: memory that already exists (a built response).
    pub fn force(self: &Arc<Self>, connection: &Arc<Pool>, bytes: usize) -> Charge {
        self.pool.used.fetch_add(bytes, Ordering::AcqRel);
        let mut c = Charge::empty(self, connection);
        c.connection.used.fetch_add(bytes, Ordering::AcqRel);
        c.bytes = bytes;
        c
    }
}

/// Bytes held from the budget and from one connection's share; dropping gives them back.
#[derive(Debug)]
pub struct Charge {
    budget: Arc<Budget>,
    connection: Arc<Pool>,
    bytes: usize,
}

impl Charge {
    /// A charge of nothing yet, for a frame about to be read.
    pub fn empty(budget: &Arc<Budget>, connection: &Arc<Pool>) -> Charge {
        Charge {
            budget: budget.clone(),
            connection: connection.clone(),
            bytes: 0,
        }
    }

    /// Bytes of the budget `grow` already took for this charge.
    fn add(&mut self, bytes: usize) {
        self.connection.used.fetch_add(bytes, Ordering::AcqRel);
        self.bytes += bytes;
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        self.connection.give_back(self.bytes);
        self.budget.pool.give_back(self.bytes);
    }
}

/// A frame's bytes with their charge: the charge is released when the last `Bytes` slice of it
/// is dropped.
pub struct ChargedBytes {
    pub data: Vec<u8>,
    /// Held, not read: dropped with the bytes.
    pub _charge: Charge,
}

impl AsRef<[u8]> for ChargedBytes {
    fn as_ref(&self) -> &[u8] {
        &self.data
    }
}
