//! What the transaction handlers share: sending a producer command to the writer, arming a
//! transaction's timeout, and the PRODUCER_FENCED rule of old request versions.

use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::ResponseError;
use tokio::sync::oneshot;

use super::Ctx;
use crate::error::{KafkaError, KafkaResult};
use crate::writer::{Begun, Command, TxnCommand};

/// Send `cmd` to the writer and wait for its reply; a writer that is gone (the worker is
/// stopping) is COORDINATOR_NOT_AVAILABLE.
pub(super) async fn ask<T>(
    ctx: &Ctx,
    make: impl FnOnce(oneshot::Sender<KafkaResult<T>>) -> TxnCommand,
) -> KafkaResult<T> {
    let (tx, rx) = oneshot::channel();
    if ctx.bridge.send(Command::Txn(make(tx))).await.is_err() {
        return Err(KafkaError::coordinator_unavailable());
    }
    rx.await
        .unwrap_or(Err(KafkaError::coordinator_unavailable()))
}

/// Abort the transaction that just began if it is still open after its timeout.
pub(super) fn arm_timeout(ctx: &Arc<Ctx>, begun: Begun) {
    let bridge = ctx.bridge.clone();
    let wait = Duration::from_millis(u64::try_from(begun.timeout_ms).unwrap_or(0));
    tokio::spawn(async move {
        tokio::time::sleep(wait).await;
        let _ = bridge
            .send(Command::Txn(TxnCommand::Expire {
                transactional_id: begun.transactional_id,
                serial: begun.serial,
            }))
            .await;
    });
}

/// PRODUCER_FENCED is known to clients from the API version `since` (KIP-588); older ones are
/// told INVALID_PRODUCER_EPOCH.
pub(super) fn fenced_for(version: i16, since: i16, e: KafkaError) -> KafkaError {
    if e.code == ResponseError::ProducerFenced && version < since {
        KafkaError::new(ResponseError::InvalidProducerEpoch)
    } else {
        e
    }
}
