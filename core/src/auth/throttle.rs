//! Failed logins per source address, and the delay each next failure waits before it is
//! answered: 50 ms per failure in the last minute, at most 2 s. A good login is never delayed.
//!
//! Owns: the failure counts. Bounded: at most [`MAX_ADDRESSES`] addresses are remembered; when
//! full, entries older than the window go first, then the whole map (a flood from many addresses
//! then costs its senders the smallest delay, never the broker memory).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_ADDRESSES: usize = 4096;
const WINDOW: Duration = Duration::from_secs(60);
const STEP: Duration = Duration::from_millis(50);
pub const MAX_DELAY: Duration = Duration::from_secs(2);

#[derive(Debug, Default)]
pub struct Failures {
    by_address: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl Failures {
    /// Count a failure from `addr`; the delay before answering it.
    pub fn fail(&self, addr: IpAddr, now: Instant) -> Duration {
        let mut map = self.by_address.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ADDRESSES && !map.contains_key(&addr) {
            map.retain(|_, (_, last)| now.duration_since(*last) < WINDOW);
            if map.len() >= MAX_ADDRESSES {
                map.clear();
            }
        }
        let entry = map.entry(addr).or_insert((0, now));
        if now.duration_since(entry.1) >= WINDOW {
            entry.0 = 0;
        }
        entry.0 = entry.0.saturating_add(1);
        entry.1 = now;
        STEP.saturating_mul(entry.0).min(MAX_DELAY)
    }

    pub fn remembered(&self) -> usize {
        self.by_address
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_per_address_and_reset_after_the_window() {
        let f = Failures::default();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let t = Instant::now();
        assert_eq!(f.fail(a, t), STEP);
        assert_eq!(f.fail(a, t), STEP * 2);
        assert_eq!(f.fail(b, t), STEP);
        for _ in 0..100 {
            f.fail(a, t);
        }
        assert_eq!(f.fail(a, t), MAX_DELAY);
        assert_eq!(f.fail(a, t + WINDOW), STEP);
    }

    #[test]
    fn memory_is_bounded_by_addresses() {
        let f = Failures::default();
        let t = Instant::now();
        for i in 0..(MAX_ADDRESSES as u32 * 3) {
            f.fail(IpAddr::from(i.to_be_bytes()), t);
        }
        assert!(f.remembered() <= MAX_ADDRESSES);
    }
}
