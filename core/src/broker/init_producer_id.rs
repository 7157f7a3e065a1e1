//! InitProducerId (v0-5): a producer id for an idempotent producer, or the id and a bumped epoch
//! for a transactional id (fencing its previous incarnation and aborting its open transaction),
//! or a bumped epoch for a producer re-initialising itself (KIP-360, v3+).
//!
//! Owns no state: the writer allocates ids and epochs durably.

use kafka_protocol::messages::{
    InitProducerIdRequest, InitProducerIdResponse, ProducerId, ResponseKind,
};
use kafka_protocol::ResponseError;

use super::txn_common::{ask, fenced_for};
use super::{Call, Reply};
use crate::error::KafkaError;
use crate::writer::{ProducerIdEpoch, TxnCommand};

pub(super) async fn handle(c: &Call<'_>, req: InitProducerIdRequest) -> Reply {
    let (ctx, version) = (c.ctx.clone(), c.version);
    Box::pin(async move {
        let transactional_id = req
            .transactional_id
            .as_ref()
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
        } else {
            Err(ResponseError::InvalidRequest.into())
        };
        let resp = match result {
            Ok(p) => {
                let mut resp = InitProducerIdResponse::default();
                resp.producer_id = ProducerId(p.producer_id);
                resp.producer_epoch = p.producer_epoch;
                resp
            }
            Err(e) => refuse(version, req, &e),
        };
        Some(ResponseKind::InitProducerId(resp))
    })
}

pub(super) fn refuse(
    version: i16,
    _req: InitProducerIdRequest,
    e: &KafkaError,
) -> InitProducerIdResponse {
    let mut resp = InitProducerIdResponse::default();
    resp.error_code = fenced_for(version, 4, e.clone()).code();
    resp.producer_id = ProducerId(-1);
    resp.producer_epoch = -1;
    resp
}
