//! ListOffsets (v1-8): earliest (-2, and -4 "earliest local", which is the same here), latest
//! (-1), max timestamp (-3: added with v7, answered at every version as Kafka does) and the first
//! offset at or after a timestamp.
//!
//! Owns no state. Timestamp lookups use the cached batches when the memory window covers the
//! whole log, otherwise the store through the writer; the record inside the batch is found by
//! decoding that one batch.

use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse, ResponseKind};
use kafka_protocol::ResponseError;
use tokio::sync::oneshot;
use uuid::Uuid;

use super::{Call, Ctx, Reply};
use crate::error::{KafkaError, KafkaResult};
use crate::log::{Batch, PartitionLog};
use crate::protocol::batch;
use crate::store::StoreError;
use crate::writer::{Command, ReadQuery};

const LATEST: i64 = -1;
const EARLIEST: i64 = -2;
const MAX_TIMESTAMP: i64 = -3;
const EARLIEST_LOCAL: i64 = -4;

pub(super) async fn handle(c: &Call<'_>, req: ListOffsetsRequest) -> Reply {
    let (ctx, version) = (c.ctx.clone(), c.version);
    Box::pin(async move { Some(ResponseKind::ListOffsets(list(&ctx, version, req).await)) })
}

/// Each entry is answered, duplicates too: an entry costs one lookup and a small answer, so the
/// work stays linear in the request.
async fn list(ctx: &Ctx, version: i16, req: ListOffsetsRequest) -> ListOffsetsResponse {
    let mut resp = ListOffsetsResponse::default();
    // read_committed (v2+): "latest" is the last stable offset.
    let committed = version >= 2 && req.isolation_level == 1;
    for t in req.topics {
        let topic = ctx.registry.get(&t.name);
        let mut out = ListOffsetsTopicResponse::default();
        out.name = t.name;
        for p in t.partitions {
            let mut r = ListOffsetsPartitionResponse::default();
            r.partition_index = p.partition_index;
            let log = topic
                .as_ref()
                .and_then(|t| t.partition(p.partition_index).map(|l| (t.id, l)));
            let found = match log {
                None => Err(ResponseError::UnknownTopicOrPartition.into()),
                Some((_, log)) if p.timestamp == LATEST && committed => {
                    Ok((log.last_stable_offset(), -1))
                }
                Some((id, log)) => {
                    lookup(ctx, id, p.partition_index, log, p.timestamp).await
                }
            };
            match found {
                Ok((offset, timestamp)) => {
                    r.offset = offset;
                    r.timestamp = timestamp;
                    if version >= 4 {
                        r.leader_epoch = 0;
                    }
                }
                Err(e) => r.error_code = e.code(),
            }
            out.partitions.push(r);
        }
        resp.topics.push(out);
    }
    resp
}

/// (offset, timestamp) for one partition; (-1, -1) when no record matches.
async fn lookup(
    ctx: &Ctx,
    topic: Uuid,
    partition: i32,
    log: &PartitionLog,
    timestamp: i64,
) -> KafkaResult<(i64, i64)> {
    match timestamp {
        LATEST => Ok((log.high_watermark(), -1)),
        EARLIEST | EARLIEST_LOCAL => Ok((log.log_start_offset(), -1)),
        MAX_TIMESTAMP => {
            let batch = if log.window_covers_log() {
                let mut best: Option<Batch> = None;
                for b in log.cached_batches() {
                    if best
                        .as_ref()
                        .is_none_or(|x| b.max_timestamp > x.max_timestamp)
                    {
                        best = Some(b);
                    }
                }
                best
            } else {
                let from_offset = log.log_start_offset();
                stored(ctx, |reply| ReadQuery::MaxTimestamp {
                    topic,
                    partition,
                    from_offset,
                    reply,
                })
                .await?
            };
            let from = log.log_start_offset();
            Ok(batch.map_or((-1, -1), |b| first_at(ctx, &b, from, b.max_timestamp)))
        }
        t if t >= 0 => {
            let from = log.log_start_offset();
            let batch = if log.window_covers_log() {
                log.cached_batches()
                    .into_iter()
                    .find(|b| b.last_offset >= from && b.max_timestamp >= t)
            } else {
                stored(ctx, |reply| ReadQuery::ByTimestamp {
                    topic,
                    partition,
                    from_offset: from,
                    timestamp: t,
                    reply,
                })
                .await?
            };
            Ok(batch.map_or((-1, -1), |b| first_at(ctx, &b, from, t)))
        }
        _ => Err(ResponseError::InvalidRequest.into()),
    }
}

/// The first record of `batch` at or after the log start `from` with a timestamp ≥ `t` (a batch
/// may straddle the log start after DeleteRecords). A batch that cannot be decoded answers with
/// its last offset and max timestamp, which is where its newest record is.
fn first_at(ctx: &Ctx, batch: &Batch, from: i64, t: i64) -> (i64, i64) {
    batch::decode_records(&batch.bytes, ctx.config.max_request_size)
        .ok()
        .and_then(|records| {
            records
                .into_iter()
                .find(|r| r.offset >= from && r.timestamp >= t)
                .map(|r| (r.offset, r.timestamp))
        })
        .unwrap_or((batch.last_offset, batch.max_timestamp))
}

/// Ask the writer for a batch from the store.
async fn stored(
    ctx: &Ctx,
    query: impl FnOnce(oneshot::Sender<Result<Option<Batch>, StoreError>>) -> ReadQuery,
) -> KafkaResult<Option<Batch>> {
    let (reply, rx) = oneshot::channel();
    ctx.bridge
        .send(Command::Read(query(reply)))
        .await
        .map_err(|_| KafkaError::storage())?;
    match rx.await {
        Ok(Ok(b)) => Ok(b),
        _ => Err(KafkaError::storage()),
    }
}

pub(super) fn refuse(_version: i16, req: ListOffsetsRequest, e: &KafkaError) -> ListOffsetsResponse {
    let mut resp = ListOffsetsResponse::default();
    for t in req.topics {
        let mut out = ListOffsetsTopicResponse::default();
        out.name = t.name;
        for p in t.partitions {
            let mut r = ListOffsetsPartitionResponse::default();
            r.partition_index = p.partition_index;
            r.error_code = e.code();
            r.offset = -1;
            r.timestamp = -1;
            out.partitions.push(r);
        }
        resp.topics.push(out);
    }
    resp
}
