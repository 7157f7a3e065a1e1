//! pg_kafka: a PostgreSQL extension whose background worker speaks the Kafka wire protocol.
//!
//! This file only declares the module magic and hands `_PG_init` to `pg::init`. Everything that
//! touches Postgres lives in `src/pg/`; the engine (protocol, logs, writer, network) lives in the
//! pgrx-free `pg_kafka_core` crate.

mod pg;

::pgrx::pg_module_magic!();

#[pgrx::pg_guard]
pub extern "C-unwind" fn _PG_init() {
    pg::init();
}

/// Settings for `cargo pgrx test`: the extension is preloaded, as in production.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![
            "shared_preload_libraries = 'pg_kafka'",
            "pg_kafka.port = 19192",
            "pg_kafka.database = 'pgrx_tests'",
        ]
    }
}
