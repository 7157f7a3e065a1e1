//! What the transaction handlers share: sending a producer command to the writer and arming a
//! transaction's timeout.

use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::ResponseError;
use tokio::sync::oneshot;

use super::Ctx;
use crate::writer::{Begun, Command, TxnCommand};

/// Send `cmd` to the writer and wait for its reply; a writer that is gone is a storage error.
pub(super) async fn ask<T>(
    ctx: &Ctx,
    make: impl FnOnce(oneshot::Sender<T>) -> TxnCommand,
) -> Option<T> {
    let (tx, rx) = oneshot::channel();
    ctx.bridge.send(Command::Txn(make(tx))).await.ok()?;
    rx.await.ok()
}

/// The code for a writer that did not answer.
pub(super) fn unavailable() -> i16 {
    ResponseError::CoordinatorNotAvailable.code()
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
