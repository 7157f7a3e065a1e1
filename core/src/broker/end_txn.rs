//! EndTxn (v0-5): commit or abort the producer's transaction. The writer writes the markers,
//! the transaction's state and (on commit) its group offsets in one store transaction; the
//! offsets then become visible in the group coordinator.
//!
//! Owns no state.

use kafka_protocol::messages::{EndTxnRequest, EndTxnResponse, ProducerId, ResponseKind};

use super::txn_common::{ask, fenced_for};
use super::{Call, Reply};
use crate::error::{KafkaError, KafkaResult};
use crate::writer::{ProducerIdEpoch, TxnCommand};

pub(super) async fn handle(c: &Call<'_>, req: EndTxnRequest) -> Reply {
    let (ctx, version) = (c.ctx.clone(), c.version);
    Box::pin(async move {
        let producer = ProducerIdEpoch {
            producer_id: req.producer_id.0,
            producer_epoch: req.producer_epoch,
        };
        // The committed offsets reach the coordinator even if this request's future is dropped
        // (the client went away): memory must follow what was committed.
        let (done, outcome) = tokio::sync::oneshot::channel::<KafkaResult<()>>();
        let task_ctx = ctx.clone();
        let transactional_id = req.transactional_id.0.to_string();
        let commit = req.committed;
        tokio::spawn(async move {
            let result = ask(&task_ctx, |reply| TxnCommand::EndTxn {
                transactional_id,
                producer,
                commit,
                reply,
            })
            .await;
            if let Ok(offsets) = &result {
                task_ctx.groups.apply_txn_offsets(offsets);
            }
            let _ = done.send(result.map(|_| ()));
        });
        let result = outcome
            .await
            .unwrap_or(Err(KafkaError::coordinator_unavailable()));
        let resp = match result {
            Ok(()) => {
                let mut resp = EndTxnResponse::default();
                // v5 returns the id and epoch to use next; epochs are not bumped per transaction.
                resp.producer_id = ProducerId(-1);
                resp.producer_epoch = -1;
                if version >= 5 {
                    resp.producer_id = ProducerId(producer.producer_id);
                    resp.producer_epoch = producer.producer_epoch;
                }
                resp
            }
            Err(e) => refuse(version, req, &e),
        };
        Some(ResponseKind::EndTxn(resp))
    })
}

pub(super) fn refuse(version: i16, _req: EndTxnRequest, e: &KafkaError) -> EndTxnResponse {
    let mut resp = EndTxnResponse::default();
    resp.error_code = fenced_for(version, 2, e.clone()).code();
    resp.producer_id = ProducerId(-1);
    resp.producer_epoch = -1;
    resp
}
