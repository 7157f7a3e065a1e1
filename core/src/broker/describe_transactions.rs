//! DescribeTransactions (v0): the coordinator's state of each named transactional id.
//!
//! Owns no state: reads the writer's producer table.

use kafka_protocol::messages::describe_transactions_response::{TopicData, TransactionState};
use kafka_protocol::messages::{
    DescribeTransactionsRequest, DescribeTransactionsResponse, ProducerId, ResponseKind,
};
use kafka_protocol::ResponseError;

use super::{ready, str_bytes, topic_name, Call, Reply};
use crate::error::KafkaError;

pub(super) async fn handle(c: &Call<'_>, req: DescribeTransactionsRequest) -> Reply {
    let ctx = c.ctx;
    let mut resp = DescribeTransactionsResponse::default();
    let table = ctx.registry.producers().lock();
    for id in req.transactional_ids {
        let mut s = TransactionState::default();
        match table.txns.get(&*id.0) {
            None => {
                s.error_code = ResponseError::TransactionalIdNotFound.code();
                s.transaction_state = str_bytes("");
                s.producer_id = ProducerId(-1);
                s.producer_epoch = -1;
            }
            Some(t) => {
                s.transaction_state = str_bytes(t.state.name());
                s.transaction_timeout_ms = t.timeout_ms;
                s.transaction_start_time_ms = t.start_ms;
                s.producer_id = ProducerId(t.producer_id);
                s.producer_epoch = t.epoch;
                for &(topic_id, partition) in t.partitions.keys() {
                    let Some(topic) = ctx.registry.get_by_id(&topic_id) else {
                        continue;
                    };
                    match s.topics.iter_mut().find(|d| *d.topic.0 == *topic.name) {
                        Some(d) => d.partitions.push(partition),
                        None => {
                            let mut d = TopicData::default();
                            d.topic = topic_name(&topic.name);
                            d.partitions = vec![partition];
                            s.topics.push(d);
                        }
                    }
                }
            }
        }
        s.transactional_id = id;
        resp.transaction_states.push(s);
    }
    drop(table);
    ready(ResponseKind::DescribeTransactions(resp))
}

pub(super) fn refuse(
    _version: i16,
    req: DescribeTransactionsRequest,
    e: &KafkaError,
) -> DescribeTransactionsResponse {
    let mut resp = DescribeTransactionsResponse::default();
    for id in req.transactional_ids {
        let mut s = TransactionState::default();
        s.error_code = e.code();
        s.transaction_state = str_bytes("");
        s.producer_id = ProducerId(-1);
        s.producer_epoch = -1;
        s.transactional_id = id;
        resp.transaction_states.push(s);
    }
    resp
}
