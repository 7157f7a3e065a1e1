//! Kafka API semantics, one file per API. Handlers answer reads from memory and send mutations
//! to the writer through the bridge; they never touch the store directly.
//!
//! `dispatch` runs on the connection's reader task: side effects whose order matters (queuing a
//! produce) happen before it returns, so pipelined requests are applied in request order; the
//! returned future produces the response and may wait (long-poll Fetch, the writer's reply).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use kafka_protocol::messages::{RequestKind, ResponseKind};

use crate::config::BrokerConfig;
use crate::log::Registry;
use crate::net::Bridge;

/// What a handler shares: settings, the topics, and the way to the writer.
#[derive(Debug)]
pub struct Ctx {
    pub config: BrokerConfig,
    pub registry: Arc<Registry>,
    pub bridge: Bridge,
}

/// The rest of a request's handling; `None` means no response is sent (acks=0).
pub type Reply = Pin<Box<dyn Future<Output = Option<ResponseKind>> + Send>>;

/// Handle one decoded request at `version`.
pub async fn dispatch(ctx: &Arc<Ctx>, version: i16, req: RequestKind) -> Reply {
    let _ = (ctx, version, req);
    Box::pin(async { None })
}
