//! Broker handlers.
