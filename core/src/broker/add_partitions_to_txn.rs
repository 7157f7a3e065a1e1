//! AddPartitionsToTxn (v0-3): add partitions to the producer's transaction, beginning it (and
//! arming its timeout) if none is open. The batched broker-to-broker form (v4+) is not served.
//!
//! Owns no state: the writer records the partitions durably. An unknown partition fails the
//! request: it gets UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED.

use kafka_protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic;
use kafka_protocol::messages::add_partitions_to_txn_response::{
    AddPartitionsToTxnPartitionResult, AddPartitionsToTxnTopicResult,
};
use kafka_protocol::messages::{
    AddPartitionsToTxnRequest, AddPartitionsToTxnResponse, ResponseKind,
};
use kafka_protocol::ResponseError;

use super::txn_common::{arm_timeout, ask, fenced_for};
use super::{Call, Reply};
use crate::error::{code_of, KafkaError, KafkaResult};
use crate::writer::{ProducerIdEpoch, TxnCommand};

pub(super) async fn handle(c: &Call<'_>, req: AddPartitionsToTxnRequest) -> Reply {
    let (ctx, version) = (c.ctx.clone(), c.version);
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
        let outcome: KafkaResult<()> = if !unknown.is_empty() {
            Err(ResponseError::OperationNotAttempted.into())
        } else {
            let producer = ProducerIdEpoch {
                producer_id: req.v3_and_below_producer_id.0,
                producer_epoch: req.v3_and_below_producer_epoch,
            };
            let transactional_id = req.v3_and_below_transactional_id.0.to_string();
            let begun = ask(&ctx, |reply| TxnCommand::AddPartitions {
                transactional_id,
                producer,
                partitions,
                reply,
            })
            .await;
            begun.map(|b| {
                if let Some(b) = b {
                    arm_timeout(&ctx, b);
                }
            })
        };
        let outcome = outcome.map_err(|e| fenced_for(version, 2, e));
        let resp = response(req.v3_and_below_topics, |name, p| {
            if unknown.iter().any(|(n, i)| n == name && *i == p) {
                ResponseError::UnknownTopicOrPartition.code()
            } else {
                code_of(&outcome)
            }
        });
        Some(ResponseKind::AddPartitionsToTxn(resp))
    })
}

fn response(
    topics: Vec<AddPartitionsToTxnTopic>,
    code: impl Fn(&str, i32) -> i16,
) -> AddPartitionsToTxnResponse {
    let mut resp = AddPartitionsToTxnResponse::default();
    for t in topics {
        let mut out = AddPartitionsToTxnTopicResult::default();
        for p in t.partitions {
            let mut r = AddPartitionsToTxnPartitionResult::default();
            r.partition_index = p;
            r.partition_error_code = code(&t.name.0, p);
            out.results_by_partition.push(r);
        }
        out.name = t.name;
        resp.results_by_topic_v3_and_below.push(out);
    }
    resp
}

pub(super) fn refuse(
    version: i16,
    req: AddPartitionsToTxnRequest,
    e: &KafkaError,
) -> AddPartitionsToTxnResponse {
    let code = fenced_for(version, 2, e.clone()).code();
    response(req.v3_and_below_topics, |_, _| code)
}
