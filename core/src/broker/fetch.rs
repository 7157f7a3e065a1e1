//! Fetch (v4-16): whole record batches from memory, or from the store through the writer when
//! the offset is older than the memory window; long-poll until `min_bytes` are there or
//! `max_wait_ms` has passed.
//!
//! Owns no state. Fetch sessions are not kept: session_id 0 tells clients to send full requests.
//! isolation_level 1 (read_committed) returns only batches below the last stable offset and
//! lists the aborted transactions overlapping what it returns; read_uncommitted reads to the
//! high watermark.
//!
//! Invariants: the response never exceeds `max_bytes` except that its first non-empty partition
//! always gets one whole batch; a waiter subscribes to every partition before it reads, so a
//! publish between the read and the wait is never missed.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::fetch_response::{
    AbortedTransaction, FetchableTopicResponse, PartitionData,
};
use kafka_protocol::messages::{FetchRequest, FetchResponse, ProducerId, ResponseKind, TopicName};
use kafka_protocol::ResponseError;
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;
use uuid::Uuid;

use super::{Call, Ctx, Reply};
use crate::error::{KafkaError, KafkaResult};
use crate::log::{Batch, PartitionLog, ReadResult};
use crate::writer::{Command, ReadQuery};

/// One requested partition, resolved once per request.
struct Target {
    index: i32,
    offset: i64,
    max_bytes: usize,
    /// The topic's id and the partition's log, or the error for this partition.
    log: KafkaResult<(Uuid, Arc<PartitionLog>)>,
}

pub(super) async fn handle(c: &Call<'_>, req: FetchRequest) -> Reply {
    let (ctx, version) = (c.ctx.clone(), c.version);
    Box::pin(async move { Some(ResponseKind::Fetch(fetch(&ctx, version, req).await)) })
}

async fn fetch(ctx: &Ctx, version: i16, req: FetchRequest) -> FetchResponse {
    let mut topics: Vec<(TopicName, Uuid, Vec<Target>)> = Vec::new();
    for t in req.topics {
        let topic = if version >= 13 {
            ctx.registry
                .get_by_id(&t.topic_id)
                .ok_or(KafkaError::new(ResponseError::UnknownTopicId))
        } else {
            ctx.registry
                .get(&t.topic)
                .ok_or(KafkaError::new(ResponseError::UnknownTopicOrPartition))
        };
        let targets = t
            .partitions
            .iter()
            .map(|p| Target {
                index: p.partition,
                offset: p.fetch_offset,
                max_bytes: usize::try_from(p.partition_max_bytes).unwrap_or(0),
                log: topic.as_ref().map_err(Clone::clone).and_then(|topic| {
                    topic
                        .partition(p.partition)
                        .map(|l| (topic.id, l.clone()))
                        .ok_or(ResponseError::UnknownTopicOrPartition.into())
                }),
            })
            .collect();
        topics.push((t.topic, t.topic_id, targets));
    }

    let max_bytes = usize::try_from(req.max_bytes).unwrap_or(0);
    let min_bytes = usize::try_from(req.min_bytes).unwrap_or(0);
    let wait = Duration::from_millis(u64::try_from(req.max_wait_ms).unwrap_or(0));
    let deadline = Instant::now() + wait;
    let mut receivers: Vec<watch::Receiver<i64>> = topics
        .iter()
        .flat_map(|(_, _, ts)| ts.iter())
        .filter_map(|t| t.log.as_ref().ok().map(|(_, l)| l.subscribe()))
        .collect();

    let committed = req.isolation_level == 1;
    loop {
        let (resp, total, errored) = read_all(ctx, version, &topics, max_bytes, committed).await;
        if total >= min_bytes || wait.is_zero() || errored || Instant::now() >= deadline {
            return resp;
        }
        if tokio::time::timeout_at(deadline, any_changed(&mut receivers))
            .await
            .is_err()
        {
            // Deadline passed with no publish: answer with what is there now.
            return read_all(ctx, version, &topics, max_bytes, committed)
                .await
                .0;
        }
    }
}

/// Resolves when any receiver sees a new value. Each `changed()` future lives across polls, so
/// its waker stays registered.
async fn any_changed(receivers: &mut [watch::Receiver<i64>]) {
    if receivers.is_empty() {
        return std::future::pending().await;
    }
    type Changed<'a> = Pin<Box<dyn Future<Output = bool> + Send + 'a>>;
    let mut waits: Vec<Changed<'_>> = receivers
        .iter_mut()
        .map(|rx| Box::pin(async move { rx.changed().await.is_ok() }) as Changed<'_>)
        .collect();
    std::future::poll_fn(|cx| {
        if waits.iter_mut().any(|w| w.as_mut().poll(cx).is_ready()) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await
}

/// One pass over every partition: (response, record bytes returned, whether a partition erred).
async fn read_all(
    ctx: &Ctx,
    version: i16,
    topics: &[(TopicName, Uuid, Vec<Target>)],
    max_bytes: usize,
    committed: bool,
) -> (FetchResponse, usize, bool) {
    let mut resp = FetchResponse::default();
    let mut total = 0usize;
    let mut errored = false;
    for (name, id, targets) in topics {
        let mut out = FetchableTopicResponse::default();
        if version >= 13 {
            out.topic_id = *id;
        } else {
            out.topic = name.clone();
        }
        for t in targets {
            let mut p = PartitionData::default();
            p.partition_index = t.index;
            p.high_watermark = -1;
            p.last_stable_offset = -1;
            let result = match &t.log {
                Err(e) => Err(e.clone()),
                Ok((topic_id, log)) => {
                    p.high_watermark = log.high_watermark();
                    p.last_stable_offset = log.last_stable_offset();
                    if version >= 5 {
                        p.log_start_offset = log.log_start_offset();
                    }
                    let budget = t.max_bytes.min(max_bytes.saturating_sub(total));
                    if budget == 0 && total > 0 {
                        Ok(Vec::new())
                    } else {
                        let limit = if committed {
                            p.last_stable_offset
                        } else {
                            i64::MAX
                        };
                        let read = read(ctx, *topic_id, t.index, log, t.offset, budget, limit);
                        let batches = read.await;
                        if committed {
                            let end = batches.as_ref().ok().and_then(|b| b.last());
                            if let Some(end) = end.map(|b| b.last_offset) {
                                p.aborted_transactions = Some(
                                    log.aborted_between(t.offset, end)
                                        .into_iter()
                                        .map(|(pid, first)| {
                                            let mut a = AbortedTransaction::default();
                                            a.producer_id = ProducerId(pid);
                                            a.first_offset = first;
                                            a
                                        })
                                        .collect(),
                                );
                            }
                        }
                        batches
                    }
                }
            };
            match result {
                Ok(batches) => {
                    let len: usize = batches.iter().map(|b| b.bytes.len()).sum();
                    total += len;
                    p.records = Some(concat(batches, len));
                }
                Err(e) => {
                    errored = true;
                    p.error_code = e.code();
                    p.records = Some(Bytes::new());
                }
            }
            out.partitions.push(p);
        }
        resp.responses.push(out);
    }
    (resp, total, errored)
}

fn concat(batches: Vec<Batch>, len: usize) -> Bytes {
    if batches.len() == 1 {
        return batches.into_iter().next().map(|b| b.bytes).unwrap_or_default();
    }
    let mut buf = BytesMut::with_capacity(len);
    for b in batches {
        buf.extend_from_slice(&b.bytes);
    }
    buf.freeze()
}

/// Whole batches from `offset` that start below `limit`: from memory, or from the store below
/// the memory window.
async fn read(
    ctx: &Ctx,
    topic: Uuid,
    partition: i32,
    log: &PartitionLog,
    offset: i64,
    max_bytes: usize,
    limit: i64,
) -> KafkaResult<Vec<Batch>> {
    match log.read_below(offset, max_bytes, limit) {
        ReadResult::Batches(b) => Ok(b),
        ReadResult::OutOfRange => Err(ResponseError::OffsetOutOfRange.into()),
        ReadResult::BelowWindow => {
            let (reply, rx) = oneshot::channel();
            let q = ReadQuery::Batches {
                topic,
                partition,
                offset,
                max_bytes,
                reply,
            };
            ctx.bridge
                .send(Command::Read(q))
                .await
                .map_err(|_| KafkaError::storage())?;
            match rx.await {
                Ok(Ok(batches)) => Ok(batches
                    .into_iter()
                    .take_while(|b| b.base_offset < limit)
                    .collect()),
                _ => Err(KafkaError::storage()),
            }
        }
    }
}

/// The error goes on every partition; Fetch's top-level code is for fetch sessions only.
pub(super) fn refuse(version: i16, req: FetchRequest, e: &KafkaError) -> FetchResponse {
    let mut resp = FetchResponse::default();
    for t in req.topics {
        let mut out = FetchableTopicResponse::default();
        if version >= 13 {
            out.topic_id = t.topic_id;
        } else {
            out.topic = t.topic;
        }
        for p in t.partitions {
            let mut d = PartitionData::default();
            d.partition_index = p.partition;
            d.error_code = e.code();
            d.high_watermark = -1;
            d.last_stable_offset = -1;
            d.log_start_offset = -1;
            d.records = Some(Bytes::new());
            out.partitions.push(d);
        }
        resp.responses.push(out);
    }
    resp
}
