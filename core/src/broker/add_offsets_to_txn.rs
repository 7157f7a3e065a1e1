//! AddOffsetsToTxn (v0-4): the producer will commit a group's offsets in its transaction. The
//! offsets themselves come with TxnOffsetCommit; here the transaction begins if none is open.
//!
//! Owns no state.

use std::sync::Arc;

use kafka_protocol::messages::{AddOffsetsToTxnRequest, AddOffsetsToTxnResponse, ResponseKind};
use kafka_protocol::ResponseError;

use super::init_producer_id::fenced_code;
use super::txn_common::{arm_timeout, ask, unavailable};
use super::{Ctx, Reply};
use crate::writer::{ProducerIdEpoch, TxnCommand};

pub(super) fn handle(ctx: &Arc<Ctx>, version: i16, req: AddOffsetsToTxnRequest) -> Reply {
    let ctx = ctx.clone();
    Box::pin(async move {
        let result = if req.group_id.0.is_empty() {
            Err(ResponseError::InvalidGroupId.code())
        } else {
            let producer = ProducerIdEpoch {
                producer_id: req.producer_id.0,
                producer_epoch: req.producer_epoch,
            };
            match ask(&ctx, |reply| TxnCommand::AddPartitions {
                transactional_id: req.transactional_id.0.to_string(),
                producer,
                partitions: Vec::new(),
                reply,
            })
            .await
            {
                Some((r, begun)) => {
                    if let Some(b) = begun {
                        arm_timeout(&ctx, b);
                    }
                    r
                }
                None => Err(unavailable()),
            }
        };
        let mut resp = AddOffsetsToTxnResponse::default();
        resp.error_code = result.err().map_or(0, |c| fenced_code(version, 2, c));
        Some(ResponseKind::AddOffsetsToTxn(resp))
    })
}
