//! ListPartitionReassignments (v0): a single node never reassigns partitions, so the list of
//! ongoing reassignments is always empty.
//!
//! Owns no state.

use kafka_protocol::messages::{
    ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse, ResponseKind,
};

use super::{message, ready, Call, Reply};
use crate::error::KafkaError;

pub(super) async fn handle(_c: &Call<'_>, _req: ListPartitionReassignmentsRequest) -> Reply {
    let mut resp = ListPartitionReassignmentsResponse::default();
    resp.error_message = None;
    ready(ResponseKind::ListPartitionReassignments(resp))
}

pub(super) fn refuse(
    _version: i16,
    _req: ListPartitionReassignmentsRequest,
    e: &KafkaError,
) -> ListPartitionReassignmentsResponse {
    let mut resp = ListPartitionReassignmentsResponse::default();
    resp.error_code = e.code();
    resp.error_message = message(e);
    resp
}
