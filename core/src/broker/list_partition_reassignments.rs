//! ListPartitionReassignments (v0): a single node never reassigns partitions, so the list of
//! ongoing reassignments is always empty.
//!
//! Owns no state.

use kafka_protocol::messages::{
    ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse, ResponseKind,
};

use super::{ready, Reply};

pub(super) fn handle(_version: i16, _req: ListPartitionReassignmentsRequest) -> Reply {
    let mut resp = ListPartitionReassignmentsResponse::default();
    resp.error_message = None;
    ready(ResponseKind::ListPartitionReassignments(resp))
}
