//! InitProducerId (v0-5): a producer id for an idempotent producer, or the id and a bumped epoch
//! for a transactional id (fencing its previous incarnation and aborting its open transaction),
//! or a bumped epoch for a producer re-initialising itself (KIP-360, v3+).
//!
//! Owns no state: the writer allocates ids and epochs durably.

use std::sync::Arc;

use kafka_protocol::messages::{
    InitProducerIdRequest, InitProducerIdResponse, ProducerId, ResponseKind,
};
use kafka_protocol::ResponseError;

use super::txn_common::{ask, unavailable};
use super::{Ctx, Reply};
use crate::writer::{ProducerIdEpoch, TxnCommand};

pub(super) fn handle(ctx: &Arc<Ctx>, version: i16, req: InitProducerIdRequest) -> Reply {
    let ctx = ctx.clone();
    Box::pin(async move {
        let transactional_id = req
            .transactional_id
            .map(|t| t.0.to_string())
            .filter(|t| !t.is_empty());
        let current = if version >= 3 {
            ProducerIdEpoch {
                producer_id: req.producer_id.0,
                producer_epoch: req.producer_epoch,
            }
        } else {
            ProducerIdEpoch {
                producer_id: -1,
                producer_epoch: -1,
            }
        };
        let valid = (current.producer_id < 0) == (current.producer_epoch < 0);
        let result = if valid {
            ask(&ctx, |reply| TxnCommand::InitProducer {
                transactional_id,
                timeout_ms: req.transaction_timeout_ms,
                current,
                reply,
            })
            .await
            .unwrap_or(Err(unavailable()))
        } else {
            Err(ResponseError::InvalidRequest.code())
        };
        let mut resp = InitProducerIdResponse::default();
        match result {
            Ok(p) => {
                resp.producer_id = ProducerId(p.producer_id);
                resp.producer_epoch = p.producer_epoch;
            }
            Err(code) => {
                resp.error_code = fenced_code(version, 4, code);
                resp.producer_id = ProducerId(-1);
                resp.producer_epoch = -1;
            }
        }
        Some(ResponseKind::InitProducerId(resp))
    })
}

/// PRODUCER_FENCED is known to clients from the API version `since` (KIP-588); older ones are
/// told INVALID_PRODUCER_EPOCH.
pub(super) fn fenced_code(version: i16, since: i16, code: i16) -> i16 {
    if code == ResponseError::ProducerFenced.code() && version < since {
        ResponseError::InvalidProducerEpoch.code()
    } else {
        code
    }
}
