//! Network: the tokio runtime thread, the listeners (TLS where configured), connections
//! (responses in request order), and the bridge to the writer.

mod bridge;
mod budget;
mod connection;
mod server;
mod tls;

pub use bridge::{bridge, Bridge, Inbox, WriterGone, QUEUE_CAPACITY};
pub use budget::{Budget, LARGE_FRAME};
pub use server::{start, Server};
pub use tls::{subject_cn, Tls};

use crate::protocol::ProtocolError;

/// Why the network side closed a connection (logged, never sent).
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("frame size {size} outside 1..={max}")]
    FrameSize { size: i32, max: usize },
    #[error("connection closed inside a frame")]
    Truncated,
    #[error("no progress within the request timeout")]
    Stalled,
    #[error("idle longer than connections_max_idle_ms")]
    Idle,
    #[error("no SASL login within the request timeout")]
    LoginTimeout,
    #[error("SASL login failed")]
    LoginFailed,
    #[error("api key {key} before a SASL login")]
    Unauthenticated { key: i16 },
    #[error("TLS: {0}")]
    Tls(String),
    #[error("the broker is shutting down")]
    Closed,
    #[error("api key {key} version {version} is not supported")]
    Unsupported { key: i16, version: i16 },
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
