//! Expiry of producer state, as Kafka's `producer.id.expiration.ms` (idempotent producer ids,
//! default 1 day) and `transactional.id.expiration.ms` (transactional ids, default 7 days).
//!
//! An idempotent producer id unused for its expiration time, and a transactional id whose
//! transaction ended that long ago, are removed from the tables and from memory; a retry that
//! comes after that is answered as for an unknown producer. The greatest producer id is never
//! removed: it is where the next id continues after a restart, so ids are never reused.
//! Runs in bounded sweeps from `Writer::tick`; a failed commit changes nothing and is tried at
//! the next sweep.

use std::time::Duration;

use super::Writer;
use crate::clock::now_ms;
use crate::store::{Store, WriteSet};

/// The expiration times and how often they are checked.
#[derive(Debug, Clone)]
pub struct ExpiryPolicy {
    pub producer_id_expiration_ms: i64,
    pub transactional_id_expiration_ms: i64,
    pub check_interval: Duration,
}

impl Default for ExpiryPolicy {
    fn default() -> Self {
        ExpiryPolicy {
            producer_id_expiration_ms: 86_400_000,
            transactional_id_expiration_ms: 604_800_000,
            check_interval: Duration::from_secs(600),
        }
    }
}

/// Most ids one sweep removes, so one sweep is one bounded transaction.
const MAX_PER_SWEEP: usize = 10_000;

impl Writer {
    /// Remove what expired by now; returns how many producer ids went.
    pub(super) fn expire_producers<S: Store + ?Sized>(&mut self, store: &mut S) -> usize {
        let now = now_ms();
        let policy = self.expiry.clone();
        let (producers, transactions) = {
            let table = self.registry.producers().lock();
            let newest = table.producers.keys().copied().max();
            let transactions: Vec<String> = table
                .txns
                .values()
                .filter(|t| !t.open())
                .filter(|t| now - t.updated_ms > policy.transactional_id_expiration_ms)
                .map(|t| t.transactional_id.clone())
                .take(MAX_PER_SWEEP)
                .collect();
            let producers: Vec<i64> = table
                .producers
                .iter()
                .filter(|(id, _)| Some(**id) != newest)
                .filter(|(_, p)| match &p.transactional_id {
                    // A transactional producer id goes with its transactional id.
                    Some(tid) => transactions.contains(tid),
                    None => now - p.last_used_ms > policy.producer_id_expiration_ms,
                })
                .map(|(id, _)| *id)
                .take(MAX_PER_SWEEP)
                .collect();
            (producers, transactions)
        };
        if producers.is_empty() && transactions.is_empty() {
            return 0;
        }
        let ws = WriteSet {
            delete_producers: producers.clone(),
            delete_transactions: transactions.clone(),
            ..WriteSet::default()
        };
        if let Err(e) = store.commit(&ws) {
            eprintln!("pg_kafka: expiring producer state failed (tried again later): {e}");
            return 0;
        }
        let mut table = self.registry.producers().lock();
        for id in &producers {
            table.producers.remove(id);
        }
        table.seqs.retain(|(id, _, _), _| !producers.contains(id));
        for t in &transactions {
            table.txns.remove(t);
        }
        producers.len()
    }
}
