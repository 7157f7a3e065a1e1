//! DeleteRecords (v0-2): move partitions' log start offsets forward. Offset -1 means the high
//! watermark; an offset beyond it is OFFSET_OUT_OF_RANGE; an offset below the current log start
//! leaves it where it is. The answer is each partition's low watermark (its log start).
//!
//! Owns no state: one `DeleteRecords` command to the writer, which commits the new partition
//! heads and then moves the log starts in memory.

use kafka_protocol::messages::delete_records_response::{
    DeleteRecordsPartitionResult, DeleteRecordsTopicResult,
};
use kafka_protocol::messages::{DeleteRecordsRequest, DeleteRecordsResponse, ResponseKind};
use tokio::sync::oneshot;

use super::{Call, Ctx, Reply};
use crate::error::{code_of, KafkaError};
use crate::writer::{Command, DeleteRecordsResult, RecordsDeletion};

pub(super) async fn handle(c: &Call<'_>, req: DeleteRecordsRequest) -> Reply {
    let ctx = c.ctx.clone();
    Box::pin(async move {
        let deletions: Vec<RecordsDeletion> = req
            .topics
            .iter()
            .flat_map(|t| {
                t.partitions.iter().map(|p| RecordsDeletion {
                    topic: t.name.0.to_string(),
                    partition: p.partition_index,
                    offset: p.offset,
                })
            })
            .collect();
        let mut results = send(&ctx, deletions).await.into_iter();
        let resp = response(&req, || results.next().unwrap_or(Err(KafkaError::storage())));
        Some(ResponseKind::DeleteRecords(resp))
    })
}

/// One result per partition named, in request order, each from `next`.
fn response(
    req: &DeleteRecordsRequest,
    mut next: impl FnMut() -> DeleteRecordsResult,
) -> DeleteRecordsResponse {
    let mut resp = DeleteRecordsResponse::default();
    for t in &req.topics {
        let mut out = DeleteRecordsTopicResult::default();
        out.name = t.name.clone();
        out.partitions = t
            .partitions
            .iter()
            .map(|p| {
                let mut r = DeleteRecordsPartitionResult::default();
                r.partition_index = p.partition_index;
                let outcome = next();
                r.error_code = code_of(&outcome);
                r.low_watermark = outcome.unwrap_or(-1);
                r
            })
            .collect();
        resp.topics.push(out);
    }
    resp
}

pub(super) fn refuse(
    _version: i16,
    req: DeleteRecordsRequest,
    e: &KafkaError,
) -> DeleteRecordsResponse {
    response(&req, || Err(e.clone()))
}

async fn send(ctx: &Ctx, deletions: Vec<RecordsDeletion>) -> Vec<DeleteRecordsResult> {
    if deletions.is_empty() {
        return Vec::new();
    }
    let (reply, rx) = oneshot::channel();
    if ctx
        .bridge
        .send(Command::DeleteRecords { deletions, reply })
        .await
        .is_err()
    {
        return Vec::new();
    }
    rx.await.unwrap_or_default()
}
