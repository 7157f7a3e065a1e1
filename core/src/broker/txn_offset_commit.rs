//! TxnOffsetCommit (v0-5): group offsets committed as part of a transaction. The group checks
//! generation and member (KIP-447, v3+) now; the offsets wait in the transaction and become
//! visible (and durable) only when EndTxn commits it.
//!
//! Owns no state.

use kafka_protocol::messages::txn_offset_commit_request::TxnOffsetCommitRequestTopic;
use kafka_protocol::messages::txn_offset_commit_response::{
    TxnOffsetCommitResponsePartition, TxnOffsetCommitResponseTopic,
};
use kafka_protocol::messages::{ResponseKind, TxnOffsetCommitRequest, TxnOffsetCommitResponse};
use kafka_protocol::ResponseError;

use super::txn_common::{ask, fenced_for};
use super::{Call, Reply};
use crate::clock::now_ms;
use crate::error::{code_of, KafkaError, KafkaResult};
use crate::store::OffsetRow;
use crate::writer::{ProducerIdEpoch, TxnCommand};

pub(super) async fn handle(c: &Call<'_>, req: TxnOffsetCommitRequest) -> Reply {
    let (ctx, version) = (c.ctx.clone(), c.version);
    Box::pin(async move {
        let group_id = req.group_id.0.to_string();
        let member = (version >= 3).then(|| {
            (
                req.generation_id,
                req.member_id.to_string(),
                req.group_instance_id.as_ref().map(|i| i.to_string()),
            )
        });
        // Per partition: whether it exists (its offset joins the transaction).
        let mut known: Vec<Vec<bool>> = Vec::new();
        let mut rows = Vec::new();
        let now = now_ms();
        for t in &req.topics {
            let topic = ctx.registry.get(&t.name.0);
            let mut k = Vec::new();
            for p in &t.partitions {
                let found = topic
                    .as_ref()
                    .filter(|x| x.partition(p.partition_index).is_some());
                if let Some(topic) = found {
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
                }
                k.push(found.is_some());
            }
            known.push(k);
        }
        let result: KafkaResult<()> = match ctx.groups.check_txn_commit(&group_id, member) {
            Err(e) => Err(e),
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
            }
        };
        let code = code_of(&result.map_err(|e| fenced_for(version, 3, e)));
        let unknown = ResponseError::UnknownTopicOrPartition.code();
        let mut known = known.into_iter().flatten();
        let resp = response(req.topics, |_| {
            if known.next().unwrap_or(false) {
                code
            } else {
                unknown
            }
        });
        Some(ResponseKind::TxnOffsetCommit(resp))
    })
}

/// One result per partition named, in request order, with the code `code` gives it.
fn response(
    topics: Vec<TxnOffsetCommitRequestTopic>,
    mut code: impl FnMut(i32) -> i16,
) -> TxnOffsetCommitResponse {
    let mut resp = TxnOffsetCommitResponse::default();
    for t in topics {
        let mut out = TxnOffsetCommitResponseTopic::default();
        out.name = t.name;
        for p in &t.partitions {
            let mut r = TxnOffsetCommitResponsePartition::default();
            r.partition_index = p.partition_index;
            r.error_code = code(p.partition_index);
            out.partitions.push(r);
        }
        resp.topics.push(out);
    }
    resp
}

pub(super) fn refuse(
    version: i16,
    req: TxnOffsetCommitRequest,
    e: &KafkaError,
) -> TxnOffsetCommitResponse {
    let code = fenced_for(version, 3, e.clone()).code();
    response(req.topics, |_| code)
}
