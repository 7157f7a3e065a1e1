//! Network: listener, connections, the bridge to the writer.
