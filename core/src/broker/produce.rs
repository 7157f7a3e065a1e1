//! Produce (v3-11): validate every partition's record batches, then queue ONE writer command for
//! the whole request before `dispatch` returns, so pipelined produces are appended in request
//! order. The returned future waits for the group commit and answers per partition.
//!
//! Owns no state. Batches are sliced zero-copy from the request bytes, and nothing else of the
//! frame is kept, so the frame is freed once the writer has stamped its copies. Sequence numbers of
//! idempotent and transactional batches are checked by the writer (it owns producer state);
//! here a batch is only checked for what the request alone shows: control batches from clients
//! and idempotent batches without a base sequence are refused, and a transactional batch must
//! come in a request naming its transactional id.

use std::sync::Arc;

use bytes::Bytes;
use kafka_protocol::messages::produce_response::{
    BatchIndexAndErrorMessage, PartitionProduceResponse, TopicProduceResponse,
};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse, ResponseKind, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use tokio::sync::{oneshot, Semaphore};

use super::acl_common::{allowed, denied, may_create};
use super::topics::ensure_topics;
use super::{message, ready, Call, Ctx, Reply};
use crate::acl::{Operation, ResourceType};
use crate::error::{KafkaError, KafkaResult};
use crate::log::{configs, Topic};
use crate::protocol::batch::{self, BatchInfo};
use crate::protocol::Compression;
use crate::writer::{Append, AppendResult, Command, PendingBatch};

/// Kafka's default `max.message.bytes`: the largest batch a topic accepts.
const DEFAULT_MAX_MESSAGE_BYTES: usize = 1_048_588;
/// Most records one refused batch names in Produce's record_errors.
const MAX_RECORD_ERRORS: usize = 1000;

/// Where a partition's answer comes from: an error known now, or the writer's result for the
/// append at this index.
enum Slot {
    Failed(Refused),
    Append(usize),
}

/// A partition refused before the writer: the error, and the records it names (their index in
/// their batch, for Produce v8's record_errors; librdkafka fails those with the error and the
/// batch's other records with INVALID_DIFFERENT_RECORD).
#[derive(Debug, Clone)]
struct Refused {
    error: KafkaError,
    records: Vec<i32>,
}

impl From<KafkaError> for Refused {
    fn from(error: KafkaError) -> Self {
        Refused {
            error,
            records: Vec::new(),
        }
    }
}

impl From<ResponseError> for Refused {
    fn from(code: ResponseError) -> Self {
        KafkaError::from(code).into()
    }
}

impl From<batch::BatchError> for Refused {
    fn from(e: batch::BatchError) -> Self {
        KafkaError::from(e).into()
    }
}

type Layout = Vec<(TopicName, Vec<(i32, Slot)>)>;

pub(super) async fn handle(c: &Call<'_>, req: ProduceRequest) -> Reply {
    let (ctx, version) = (c.ctx, c.version);
    let acks = req.acks;
    if !matches!(acks, -1..=1) {
        let e = KafkaError::new(ResponseError::InvalidRequiredAcks);
        return ready(ResponseKind::Produce(refuse(version, req, &e)));
    }

    let transactional = req.transactional_id.is_some();
    if let Some(id) = &req.transactional_id {
        if !allowed(c, Operation::Write, ResourceType::TransactionalId, id) {
            let e = denied(ResourceType::TransactionalId);
            return ready(ResponseKind::Produce(refuse(version, req, &e)));
        }
    }
    let mut layout: Layout = Vec::new();
    let mut appends: Vec<Append> = Vec::new();
    let names: Vec<String> = req
        .topic_data
        .iter()
        .map(|t| t.name.0.to_string())
        .collect();
    let topics = resolve(c, &names).await;
    // Each partition's records, validated off the network threads (see `validate`).
    let mut work: Vec<(Arc<Topic>, i32, Option<Bytes>)> = Vec::new();
    for (t, topic) in req.topic_data.into_iter().zip(topics) {
        let mut parts = Vec::new();
        for p in t.partition_data {
            let slot = match &topic {
                Err(e) => Slot::Failed(e.clone().into()),
                Ok(topic) => {
                    work.push((topic.clone(), p.index, p.records));
                    Slot::Append(work.len() - 1)
                }
            };
            parts.push((p.index, slot));
        }
        // A copy of the name: the request's own is a slice of the frame, which would stay in
        // memory (and charged to the budget) until the response instead of until the writer
        // has copied the batches out of it.
        layout.push((TopicName(StrBytes::from_string(t.name.0.to_string())), parts));
    }
    let checked = validate(ctx, work, transactional).await;
    // Slots now index `appends`; a partition that failed validation fails here.
    let mut index = vec![usize::MAX; checked.len()];
    let mut failed = vec![None; checked.len()];
    for (i, (topic, partition, result)) in checked.into_iter().enumerate() {
        match result {
            Ok(batches) => {
                index[i] = appends.len();
                appends.push(Append {
                    topic,
                    partition,
                    batches,
                });
            }
            Err(e) => failed[i] = Some(e),
        }
    }
    for (_, parts) in &mut layout {
        for (_, slot) in parts.iter_mut() {
            if let Slot::Append(i) = *slot {
                *slot = match failed[i].take() {
                    Some(e) => Slot::Failed(e),
                    None => Slot::Append(index[i]),
                };
            }
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
/// The topics produced to: TOPIC_AUTHORIZATION_FAILED without WRITE (whether or not the topic
/// exists), created when auto-creation is on and the caller may CREATE it.
async fn resolve(c: &Call<'_>, names: &[String]) -> Vec<KafkaResult<Arc<Topic>>> {
    let ctx = c.ctx;
    let writable: Vec<bool> = names
        .iter()
        .map(|n| allowed(c, Operation::Write, ResourceType::Topic, n))
        .collect();
    let creatable: Vec<String> = names
        .iter()
        .zip(&writable)
        .filter(|(n, w)| **w && ctx.config.auto_create_topics && may_create(c, n))
        .map(|(n, _)| n.clone())
        .collect();
    let mut created = ensure_topics(ctx, &creatable).await.into_iter();
    names
        .iter()
        .zip(writable)
        .map(|(n, w)| {
            if !w {
                return Err(denied(ResourceType::Topic));
            }
            if creatable.contains(n) {
                if let Some(r) = created.next() {
                    return r;
                }
            }
            ctx.registry
                .get(n)
                .ok_or(ResponseError::UnknownTopicOrPartition.into())
        })
        .collect()
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
fn required_codec(topic: &Topic) -> Option<Compression> {
    match configs::effective(&topic.configs, "compression.type")? {
        "uncompressed" => Some(Compression::None),
        "gzip" => Some(Compression::Gzip),
        "snappy" => Some(Compression::Snappy),
        "lz4" => Some(Compression::Lz4),
        "zstd" => Some(Compression::Zstd),
        _ => None,
    }
}

/// The partition's batches, ready for the writer, or the error code for the whole partition.
/// Validations (decompression included) running at once, on tokio's blocking threads: a
/// request that is expensive to check never holds up the network threads, and at most this many
/// are checked at a time.
static VALIDATORS: Semaphore = Semaphore::const_new(2);

/// Validate every partition's records of one request, decompressing at most `max_decompressed`
/// bytes across all of them.
async fn validate(
    ctx: &Ctx,
    work: Vec<(Arc<Topic>, i32, Option<Bytes>)>,
    transactional: bool,
) -> Vec<(Arc<Topic>, i32, Result<Vec<PendingBatch>, Refused>)> {
    let max_decompressed = ctx.config.max_request_size;
    // Which topics refuse keyless records, decided once per request (it reads the defaults).
    let compacted: std::collections::HashSet<uuid::Uuid> = work
        .iter()
        .filter(|(t, _, _)| ctx.registry.is_compacted(t))
        .map(|(t, _, _)| t.id)
        .collect();
    // What to answer if validation itself fails (a panic in a codec): a storage error each.
    let keys: Vec<(Arc<Topic>, i32)> = work.iter().map(|w| (w.0.clone(), w.1)).collect();
    let failed = |keys: Vec<(Arc<Topic>, i32)>| {
        keys.into_iter()
            .map(|(t, p)| (t, p, Err(KafkaError::storage().into())))
            .collect()
    };
    let Ok(_permit) = VALIDATORS.acquire().await else {
        return failed(keys);
    };
    let task = tokio::task::spawn_blocking(move || {
        let mut left = max_decompressed;
        work.into_iter()
            .map(|(topic, partition, records)| {
                let compacted = compacted.contains(&topic.id);
                let r = pending(&topic, partition, records, transactional, compacted, &mut left);
                (topic, partition, r)
            })
            .collect()
    });
    task.await.unwrap_or_else(|_| failed(keys))
}

fn pending(
    topic: &Topic,
    partition: i32,
    records: Option<Bytes>,
    transactional: bool,
    compacted: bool,
    decompress_left: &mut usize,
) -> Result<Vec<PendingBatch>, Refused> {
    if topic.partition(partition).is_none() {
        return Err(ResponseError::UnknownTopicOrPartition.into());
    }
    let records = match records {
        Some(r) if !r.is_empty() => r,
        _ => return Err(ResponseError::CorruptMessage.into()),
    };
    let infos = batch::validate_batches(&records, *decompress_left)?;
    let used: usize = infos.iter().map(|i| i.decompressed_len).sum();
    *decompress_left -= used.min(*decompress_left);
    let limit = max_message_bytes(topic);
    let codec = required_codec(topic);
    let mut out = Vec::new();
    let mut at = 0usize;
    for info in infos {
        check(&info, limit, transactional)?;
        if info.keyless && compacted {
            let error = KafkaError::with_message(
                ResponseError::InvalidRecord,
                format!(
                    "Compacted topic cannot accept message without key in topic partition {}-{partition}.",
                    topic.name
                ),
            );
            // Which records (the batch was just validated, so it reads again), named up to a
            // bound: the response carries a message per record, and librdkafka fails the
            // batch's other records with INVALID_DIFFERENT_RECORD anyway.
            let bytes = records.slice(at..(at + info.byte_len).min(records.len()));
            let limit = info.decompressed_len.max(info.byte_len).saturating_mul(2);
            let keyless =
                batch::keyless_records(&bytes, limit, MAX_RECORD_ERRORS).unwrap_or_default();
            return Err(Refused {
                error,
                records: keyless,
            });
        }
        if codec.is_some_and(|c| c != info.compression) {
            return Err(ResponseError::InvalidRecord.into());
        }
        let end = at
            .checked_add(info.byte_len)
            .filter(|e| *e <= records.len())
            .ok_or(ResponseError::CorruptMessage)?;
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

fn check(info: &BatchInfo, limit: usize, transactional: bool) -> KafkaResult<()> {
    if info.byte_len > limit {
        return Err(ResponseError::MessageTooLarge.into());
    }
    if info.is_control || (info.is_transactional && info.producer_id < 0) {
        return Err(ResponseError::InvalidRecord.into());
    }
    if info.is_transactional != transactional {
        return Err(ResponseError::InvalidTxnState.into());
    }
    if info.producer_id >= 0 && info.base_sequence < 0 {
        return Err(ResponseError::InvalidRecord.into());
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
                    let mut record_errors = Vec::new();
                    let outcome = match slot {
                        Slot::Failed(r) => {
                            record_errors = r.records;
                            Err(r.error)
                        }
                        Slot::Append(i) => {
                            results.get(i).cloned().unwrap_or(Err(KafkaError::storage()))
                        }
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
                        Err(e) => {
                            p.error_code = e.code();
                            p.base_offset = -1;
                            if version >= 8 {
                                p.error_message = message(&e);
                                p.record_errors = record_errors
                                    .into_iter()
                                    .map(|i| {
                                        let mut r = BatchIndexAndErrorMessage::default();
                                        r.batch_index = i;
                                        r.batch_index_error_message = message(&e);
                                        r
                                    })
                                    .collect();
                            }
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

pub(super) fn refuse(version: i16, req: ProduceRequest, e: &KafkaError) -> ProduceResponse {
    let layout = req
        .topic_data
        .into_iter()
        .map(|t| {
            let parts = t.partition_data.iter();
            let failed = parts.map(|p| (p.index, Slot::Failed(e.clone().into())));
            (t.name, failed.collect())
        })
        .collect();
    respond(version, layout, &[])
}
