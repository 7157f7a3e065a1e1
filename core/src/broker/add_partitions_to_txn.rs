//! AddPartitionsToTxn (v0-3): add partitions to the producer's transaction, beginning it (and
//! arming its timeout) if none is open. The batched broker-to-broker form (v4+) is not served.
//!
//! Owns no state: the writer records the partitions durably. An unknown partition fails the
//! request: it gets UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED.

use std::sync::Arc;

use kafka_protocol::messages::add_partitions_to_txn_response::{
    AddPartitionsToTxnPartitionResult, AddPartitionsToTxnTopicResult,
};
use kafka_protocol::messages::{
    AddPartitionsToTxnRequest, AddPartitionsToTxnResponse, ResponseKind,
};
use kafka_protocol::ResponseError;

use super::init_producer_id::fenced_code;
use super::txn_common::{arm_timeout, ask, unavailable};
use super::{Ctx, Reply};
use crate::writer::{ProducerIdEpoch, TxnCommand};

pub(super) fn handle(ctx: &Arc<Ctx>, version: i16, req: AddPartitionsToTxnRequest) -> Reply {
    let ctx = ctx.clone();
    Box::pin(async move {
        let mut partitions = Vec::new();
        let mut unknown = Vec::new();
        for t in &req.v3_and_below_topics {
            let topic = ctx.registry.get(&t.name.0);
            for &p in &t.partitions {
                match topic.as_ref().filter(|topic| topic.partition(p).is_some()) {
                    Some(topic) => partitions.push((topic.clone(), p)),
                    None => unknown.push((t.name.0.to_string(), p)),
                }
            }
        }
        let outcome = if !unknown.is_empty() {
            Err(ResponseError::OperationNotAttempted.code())
        } else {
            let producer = ProducerIdEpoch {
                producer_id: req.v3_and_below_producer_id.0,
                producer_epoch: req.v3_and_below_producer_epoch,
            };
            let transactional_id = req.v3_and_below_transactional_id.0.to_string();
            match ask(&ctx, |reply| TxnCommand::AddPartitions {
                transactional_id,
                producer,
                partitions,
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
        let mut resp = AddPartitionsToTxnResponse::default();
        for t in req.v3_and_below_topics {
            let mut out = AddPartitionsToTxnTopicResult::default();
            for p in t.partitions {
                let mut r = AddPartitionsToTxnPartitionResult::default();
                r.partition_index = p;
                let missing = unknown.iter().any(|(n, i)| *n == *t.name.0 && *i == p);
                r.partition_error_code = if missing {
                    ResponseError::UnknownTopicOrPartition.code()
                } else {
                    outcome.err().map_or(0, |c| fenced_code(version, 2, c))
                };
                out.results_by_partition.push(r);
            }
            out.name = t.name;
            resp.results_by_topic_v3_and_below.push(out);
        }
        Some(ResponseKind::AddPartitionsToTxn(resp))
    })
}
