//! Network: the tokio runtime thread, the listener, connections (responses in request order),
//! and the bridge to the writer.

mod bridge;
mod connection;
mod server;

pub use bridge::{bridge, Bridge, Inbox, WriterGone, QUEUE_CAPACITY};
pub use server::{start, Server};
