//! AddOffsetsToTxn (v0-4): the producer will commit a group's offsets in its transaction. The
//! offsets themselves come with TxnOffsetCommit; here the transaction begins if none is open.
//!
//! Owns no state.

use kafka_protocol::messages::{AddOffsetsToTxnRequest, AddOffsetsToTxnResponse, ResponseKind};
use kafka_protocol::ResponseError;

use super::txn_common::{arm_timeout, ask, fenced_for};
use super::{Call, Reply};
use crate::error::{code_of, KafkaError};
use crate::writer::{ProducerIdEpoch, TxnCommand};

pub(super) async fn handle(c: &Call<'_>, req: AddOffsetsToTxnRequest) -> Reply {
    let (ctx, version) = (c.ctx.clone(), c.version);
    Box::pin(async move {
        let result = if req.group_id.0.is_empty() {
            Err(ResponseError::InvalidGroupId.into())
        } else {
            let producer = ProducerIdEpoch {
                producer_id: req.producer_id.0,
                producer_epoch: req.producer_epoch,
            };
            let begun = ask(&ctx, |reply| TxnCommand::AddPartitions {
                transactional_id: req.transactional_id.0.to_string(),
                producer,
                partitions: Vec::new(),
                reply,
            })
            .await;
            begun.map(|b| {
                if let Some(b) = b {
                    arm_timeout(&ctx, b);
                }
            })
        };
        let mut resp = AddOffsetsToTxnResponse::default();
        resp.error_code = code_of(&result.map_err(|e| fenced_for(version, 2, e)));
        Some(ResponseKind::AddOffsetsToTxn(resp))
    })
}

pub(super) fn refuse(
    version: i16,
    _req: AddOffsetsToTxnRequest,
    e: &KafkaError,
) -> AddOffsetsToTxnResponse {
    let mut resp = AddOffsetsToTxnResponse::default();
    resp.error_code = fenced_for(version, 2, e.clone()).code();
    resp
}
