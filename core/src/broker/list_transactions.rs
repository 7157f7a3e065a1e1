//! ListTransactions (v0-2): transactional ids with their producer id and state, filtered by
//! state, producer id, running time (v1+) and id pattern (v2+; `.*` wildcards and literal
//! characters only, which covers the admin client's "prefix.*" use).
//!
//! Owns no state: reads the writer's producer table.

use kafka_protocol::messages::list_transactions_response::TransactionState;
use kafka_protocol::messages::{
    ListTransactionsRequest, ListTransactionsResponse, ProducerId, ResponseKind, TransactionalId,
};

use super::{ready, str_bytes, Call, Reply};
use crate::clock::now_ms;
use crate::error::KafkaError;
use crate::txn::TxnState;

const STATES: [&str; 6] = [
    "Empty",
    "Ongoing",
    "PrepareCommit",
    "PrepareAbort",
    "CompleteCommit",
    "CompleteAbort",
];

pub(super) async fn handle(c: &Call<'_>, req: ListTransactionsRequest) -> Reply {
    let (ctx, version) = (c.ctx, c.version);
    let mut resp = ListTransactionsResponse::default();
    let states: Vec<String> = req.state_filters.iter().map(|s| s.to_string()).collect();
    resp.unknown_state_filters = req
        .state_filters
        .iter()
        .filter(|s| !STATES.contains(&&***s))
        .cloned()
        .collect();
    let pids: Vec<i64> = req.producer_id_filters.iter().map(|p| p.0).collect();
    let min_duration = if version >= 1 {
        req.duration_filter
    } else {
        -1
    };
    let pattern = if version >= 2 {
        req.transactional_id_pattern.as_ref().map(|p| p.to_string())
    } else {
        None
    };
    let now = now_ms();
    let table = ctx.registry.producers().lock();
    for t in table.txns.values() {
        if !states.is_empty() && !states.iter().any(|s| s == t.state.name()) {
            continue;
        }
        if !pids.is_empty() && !pids.contains(&t.producer_id) {
            continue;
        }
        if min_duration >= 0
            && !(t.state == TxnState::Ongoing && now.saturating_sub(t.start_ms) >= min_duration)
        {
            continue;
        }
        if let Some(p) = pattern.as_deref().filter(|p| !p.is_empty()) {
            if !matches_pattern(p, &t.transactional_id) {
                continue;
            }
        }
        let mut s = TransactionState::default();
        s.transactional_id = TransactionalId(str_bytes(&t.transactional_id));
        s.producer_id = ProducerId(t.producer_id);
        s.transaction_state = str_bytes(t.state.name());
        resp.transaction_states.push(s);
    }
    drop(table);
    ready(ResponseKind::ListTransactions(resp))
}

pub(super) fn refuse(
    _version: i16,
    _req: ListTransactionsRequest,
    e: &KafkaError,
) -> ListTransactionsResponse {
    let mut resp = ListTransactionsResponse::default();
    resp.error_code = e.code();
    resp
}

/// Whether `id` matches `pattern`, where `.*` matches any run of characters.
pub(super) fn matches_pattern(pattern: &str, id: &str) -> bool {
    let parts: Vec<&str> = pattern.split(".*").collect();
    let mut rest = id;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    rest.is_empty()
}
