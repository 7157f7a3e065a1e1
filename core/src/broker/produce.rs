//! Produce (v3-11): validate every partition's record batches, then queue ONE writer command for
//! the whole request before `dispatch` returns, so pipelined produces are appended in request
//! order. The returned future waits for the group commit and answers per partition.
//!
//! Owns no state. Batches are sliced zero-copy from the request bytes. Sequence numbers of
//! idempotent and transactional batches are checked by the writer (it owns producer state);
//! here a batch is only checked for what the request alone shows: control batches from clients
//! and idempotent batches without a base sequence are refused, and a transactional batch must
//! come in a request naming its transactional id.

use std::sync::Arc;

use bytes::Bytes;
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse, ResponseKind};
use kafka_protocol::ResponseError;
use tokio::sync::oneshot;

use super::protocol::batch::{self, BatchInfo};
use super::topics::ensure_topics;
use super::{storage_error, Ctx, Reply};
use crate::log::{configs, Topic};
use crate::writer::{Append, AppendResult, Command, PendingBatch};

/// Kafka's default `max.message.bytes`: the largest batch a topic accepts.
const DEFAULT_MAX_MESSAGE_BYTES: usize = 1_048_588;

/// Where a partition's answer comes from: an error known now, or the writer's result for the
/// append at this index.
enum Slot {
    Failed(i16),
    Append(usize),
}

type Layout = Vec<(kafka_protocol::messages::TopicName, Vec<(i32, Slot)>)>;

pub(super) async fn handle(ctx: &Arc<Ctx>, version: i16, req: ProduceRequest) -> Reply {
    let acks = req.acks;
    let request_error = if !matches!(acks, -1..=1) {
        Some(ResponseError::InvalidRequiredAcks.code())
    } else {
        None
    };

    let transactional = req.transactional_id.is_some();
    let mut layout: Layout = Vec::new();
    let mut appends: Vec<Append> = Vec::new();
    if let Some(code) = request_error {
        for t in req.topic_data {
            let parts = t
                .partition_data
                .iter()
                .map(|p| (p.index, Slot::Failed(code)))
                .collect();
            layout.push((t.name, parts));
        }
    } else {
        let names: Vec<String> = req
            .topic_data
            .iter()
            .map(|t| t.name.0.to_string())
            .collect();
        let topics = resolve(ctx, &names).await;
        for (t, topic) in req.topic_data.into_iter().zip(topics) {
            let mut parts = Vec::new();
            for p in t.partition_data {
                let slot = match &topic {
                    Err(code) => Slot::Failed(*code),
                    Ok(topic) => match pending(ctx, topic, p.index, p.records, transactional) {
                        Err(code) => Slot::Failed(code),
                        Ok(batches) => {
                            appends.push(Append {
                                topic: topic.clone(),
                                partition: p.index,
                                batches,
                            });
                            Slot::Append(appends.len() - 1)
                        }
                    },
                };
                parts.push((p.index, slot));
            }
            layout.push((t.name, parts));
        }
    }

    let mut rx = None;
    let mut writer_gone = false;
    if !appends.is_empty() {
        let (reply, r) = if acks == 0 {
            (None, None)
        } else {
            let (tx, r) = oneshot::channel();
            (Some(tx), Some(r))
        };
        writer_gone = ctx
            .bridge
            .send(Command::Produce { appends, reply })
            .await
            .is_err();
        rx = r;
    }
    if acks == 0 {
        return Box::pin(async { None });
    }
    Box::pin(async move {
        let results = match rx {
            Some(rx) if !writer_gone => rx.await.unwrap_or_default(),
            _ => Vec::new(),
        };
        Some(ResponseKind::Produce(respond(version, layout, &results)))
    })
}

/// Each topic of the request, created when unknown and auto-creation is on.
async fn resolve(ctx: &Ctx, names: &[String]) -> Vec<Result<Arc<Topic>, i16>> {
    if ctx.config.auto_create_topics {
        ensure_topics(ctx, names)
            .await
            .into_iter()
            .map(|r| r.map_err(|e| e.0))
            .collect()
    } else {
        names
            .iter()
            .map(|n| {
                ctx.registry
                    .get(n)
                    .ok_or(ResponseError::UnknownTopicOrPartition.code())
            })
            .collect()
    }
}

fn max_message_bytes(topic: &Topic) -> usize {
    topic
        .configs
        .get("max.message.bytes")
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(DEFAULT_MAX_MESSAGE_BYTES)
}

/// The codec a topic's `compression.type` demands, if any. Batches are stored verbatim, never
/// recompressed, so a batch in another codec is refused rather than converted.
fn required_codec(topic: &Topic) -> Option<i16> {
    match configs::effective(&topic.configs, "compression.type")? {
        "uncompressed" => Some(0),
        "gzip" => Some(1),
        "snappy" => Some(2),
        "lz4" => Some(3),
        "zstd" => Some(4),
        _ => None,
    }
}

/// The partition's batches, ready for the writer, or the error code for the whole partition.
fn pending(
    ctx: &Ctx,
    topic: &Topic,
    partition: i32,
    records: Option<Bytes>,
    transactional: bool,
) -> Result<Vec<PendingBatch>, i16> {
    if topic.partition(partition).is_none() {
        return Err(ResponseError::UnknownTopicOrPartition.code());
    }
    let records = match records {
        Some(r) if !r.is_empty() => r,
        _ => return Err(ResponseError::CorruptMessage.code()),
    };
    let infos =
        batch::validate_batches(&records, ctx.config.max_request_size).map_err(|e| e.code())?;
    let limit = max_message_bytes(topic);
    let codec = required_codec(topic);
    let mut out = Vec::new();
    let mut at = 0usize;
    for info in infos {
        check(&info, limit, transactional)?;
        if codec.is_some_and(|c| c != info.attributes & 0x07) {
            return Err(ResponseError::InvalidRecord.code());
        }
        let end = at
            .checked_add(info.byte_len)
            .filter(|e| *e <= records.len())
            .ok_or(ResponseError::CorruptMessage.code())?;
        out.push(PendingBatch {
            bytes: records.slice(at..end),
            record_count: info.records_count,
            last_offset_delta: info.last_offset_delta,
            base_timestamp: info.base_timestamp,
            max_timestamp: info.max_timestamp,
            attributes: info.attributes,
            producer_id: info.producer_id,
            producer_epoch: info.producer_epoch,
            base_sequence: info.base_sequence,
        });
        at = end;
    }
    Ok(out)
}

fn check(info: &BatchInfo, limit: usize, transactional: bool) -> Result<(), i16> {
    if info.byte_len > limit {
        return Err(ResponseError::MessageTooLarge.code());
    }
    if info.is_control || (info.is_transactional && info.producer_id < 0) {
        return Err(ResponseError::InvalidRecord.code());
    }
    if info.is_transactional != transactional {
        return Err(ResponseError::InvalidTxnState.code());
    }
    if info.producer_id >= 0 && info.base_sequence < 0 {
        return Err(ResponseError::InvalidRecord.code());
    }
    Ok(())
}

fn respond(version: i16, layout: Layout, results: &[AppendResult]) -> ProduceResponse {
    let mut resp = ProduceResponse::default();
    resp.responses = layout
        .into_iter()
        .map(|(name, parts)| {
            let mut t = TopicProduceResponse::default();
            t.name = name;
            t.partition_responses = parts
                .into_iter()
                .map(|(index, slot)| {
                    let outcome = match slot {
                        Slot::Failed(code) => Err(code),
                        Slot::Append(i) => results.get(i).copied().unwrap_or(Err(storage_error())),
                    };
                    let mut p = PartitionProduceResponse::default();
                    p.index = index;
                    p.log_append_time_ms = -1;
                    match outcome {
                        Ok(a) => {
                            p.base_offset = a.base_offset;
                            p.log_append_time_ms = a.log_append_time_ms;
                            if version >= 5 {
                                p.log_start_offset = a.log_start_offset;
                            }
                        }
                        Err(code) => {
                            p.error_code = code;
                            p.base_offset = -1;
                        }
                    }
                    p
                })
                .collect();
            t
        })
        .collect();
    resp
}
