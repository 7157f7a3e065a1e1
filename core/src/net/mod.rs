//! Network: the tokio runtime thread, the listener, connections (responses in request order),
//! and the bridge to the writer.

mod bridge;

pub use bridge::{bridge, Bridge, Inbox, WriterGone, QUEUE_CAPACITY};
