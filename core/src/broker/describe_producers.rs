//! DescribeProducers (v0): the producers with state on each named partition: id, epoch, last
//! sequence, and the first offset of their open transaction there.
//!
//! Owns no state: reads the writer's producer table.

use kafka_protocol::messages::describe_producers_response::{
    PartitionResponse, ProducerState, TopicResponse,
};
use kafka_protocol::messages::{
    DescribeProducersRequest, DescribeProducersResponse, ProducerId, ResponseKind,
};
use kafka_protocol::ResponseError;

use super::{message, ready, Call, Reply};
use crate::error::KafkaError;

pub(super) async fn handle(c: &Call<'_>, req: DescribeProducersRequest) -> Reply {
    let ctx = c.ctx;
    let mut resp = DescribeProducersResponse::default();
    for t in req.topics {
        let topic = ctx.registry.get(&t.name.0);
        let mut out = TopicResponse::default();
        for index in t.partition_indexes {
            let mut p = PartitionResponse::default();
            p.partition_index = index;
            match topic.as_ref().filter(|x| x.partition(index).is_some()) {
                None => p.error_code = ResponseError::UnknownTopicOrPartition.code(),
                Some(topic) => {
                    let table = ctx.registry.producers().lock();
                    let key = (topic.id, index);
                    for ((pid, topic_id, partition), seqs) in &table.seqs {
                        if (*topic_id, *partition) != key {
                            continue;
                        }
                        let Some(last) = seqs.recent.back() else {
                            continue;
                        };
                        let open_at = table
                            .producers
                            .get(pid)
                            .and_then(|e| e.transactional_id.as_ref())
                            .and_then(|id| table.txns.get(id))
                            .filter(|t| t.open() && t.producer_id == *pid)
                            .and_then(|t| t.partitions.get(&key).copied())
                            .filter(|first| *first >= 0);
                        let mut s = ProducerState::default();
                        s.producer_id = ProducerId(*pid);
                        s.producer_epoch = i32::from(seqs.epoch);
                        s.last_sequence = last.last_seq;
                        s.last_timestamp = -1;
                        s.coordinator_epoch = 0;
                        s.current_txn_start_offset = open_at.unwrap_or(-1);
                        p.active_producers.push(s);
                    }
                    p.active_producers.sort_by_key(|s| s.producer_id.0);
                }
            }
            out.partitions.push(p);
        }
        out.name = t.name;
        resp.topics.push(out);
    }
    ready(ResponseKind::DescribeProducers(resp))
}

pub(super) fn refuse(
    _version: i16,
    req: DescribeProducersRequest,
    e: &KafkaError,
) -> DescribeProducersResponse {
    let mut resp = DescribeProducersResponse::default();
    for t in req.topics {
        let mut out = TopicResponse::default();
        for index in t.partition_indexes {
            let mut p = PartitionResponse::default();
            p.partition_index = index;
            p.error_code = e.code();
            p.error_message = message(e);
            out.partitions.push(p);
        }
        out.name = t.name;
        resp.topics.push(out);
    }
    resp
}
