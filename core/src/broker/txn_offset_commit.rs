//! TxnOffsetCommit (v0-5): group offsets committed as part of a transaction. The group checks
//! generation and member (KIP-447, v3+) now; the offsets wait in the transaction and become
//! visible (and durable) only when EndTxn commits it.
//!
//! Owns no state.

use std::sync::Arc;

use kafka_protocol::messages::txn_offset_commit_response::{
    TxnOffsetCommitResponsePartition, TxnOffsetCommitResponseTopic,
};
use kafka_protocol::messages::{ResponseKind, TxnOffsetCommitRequest, TxnOffsetCommitResponse};
use kafka_protocol::ResponseError;

use super::init_producer_id::fenced_code;
use super::txn_common::{ask, unavailable};
use super::{Ctx, Reply};
use crate::store::OffsetRow;
use crate::writer::{ProducerIdEpoch, TxnCommand};

pub(super) fn handle(ctx: &Arc<Ctx>, version: i16, req: TxnOffsetCommitRequest) -> Reply {
    let ctx = ctx.clone();
    Box::pin(async move {
        let group_id = req.group_id.0.to_string();
        let member = (version >= 3).then(|| {
            (
                req.generation_id,
                req.member_id.to_string(),
                req.group_instance_id.as_ref().map(|i| i.to_string()),
            )
        });
        let mut codes: Vec<Vec<i16>> = Vec::new();
        let mut rows = Vec::new();
        let now = crate::txn::now_ms();
        for t in &req.topics {
            let topic = ctx.registry.get(&t.name.0);
            let mut c = Vec::new();
            for p in &t.partitions {
                match topic
                    .as_ref()
                    .filter(|x| x.partition(p.partition_index).is_some())
                {
                    Some(topic) => {
                        rows.push(OffsetRow {
                            group_id: group_id.clone(),
                            topic_id: topic.id,
                            partition: p.partition_index,
                            committed_offset: p.committed_offset,
                            leader_epoch: if version >= 2 {
                                p.committed_leader_epoch
                            } else {
                                -1
                            },
                            metadata: p.committed_metadata.as_ref().map(|m| m.to_string()),
                            commit_timestamp: now,
                        });
                        c.push(0);
                    }
                    None => c.push(ResponseError::UnknownTopicOrPartition.code()),
                }
            }
            codes.push(c);
        }
        let checked = ctx.groups.check_txn_commit(&group_id, member);
        let result = match checked {
            Err(code) => Err(code),
            Ok(()) if rows.is_empty() => Ok(()),
            Ok(()) => {
                let producer = ProducerIdEpoch {
                    producer_id: req.producer_id.0,
                    producer_epoch: req.producer_epoch,
                };
                ask(&ctx, |reply| TxnCommand::TxnOffsets {
                    transactional_id: req.transactional_id.0.to_string(),
                    producer,
                    offsets: rows,
                    reply,
                })
                .await
                .unwrap_or(Err(unavailable()))
            }
        };
        let mut resp = TxnOffsetCommitResponse::default();
        for (t, c) in req.topics.into_iter().zip(codes) {
            let mut out = TxnOffsetCommitResponseTopic::default();
            out.name = t.name;
            for (p, code) in t.partitions.iter().zip(c) {
                let mut r = TxnOffsetCommitResponsePartition::default();
                r.partition_index = p.partition_index;
                r.error_code = match (code, result) {
                    (0, Err(e)) => fenced_code(version, 3, e),
                    (code, _) => code,
                };
                out.partitions.push(r);
            }
            resp.topics.push(out);
        }
        Some(ResponseKind::TxnOffsetCommit(resp))
    })
}
