//! pg_kafka extension entry point.
