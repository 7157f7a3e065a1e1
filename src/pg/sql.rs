//! SQL objects: the schema (sql/schema.sql), consumer-group views (sql/groups.sql), the batch
//! decoder behind kafka.decode_batch, the record views and functions (sql/records.sql), the
//! cleaner's view (sql/cleaner.sql), privileges (sql/privileges.sql), then each version's upgrade
//! script in order (sql/pg_kafka--0.1.0--0.2.0.sql: ACLs, record access by ACL).

use pg_kafka_core::protocol::batch::decode_records;
use pgrx::prelude::*;

pgrx::extension_sql_file!("../../sql/schema.sql", name = "schema", bootstrap);

/// Largest decompressed size of one batch the decoder accepts.
const MAX_DECODED_BATCH: usize = 256 * 1024 * 1024;

/// Decode one stored RecordBatch into records; header keys and values come as parallel arrays
/// (kafka.decode_batch turns them into kafka.record_header[]).
#[pg_extern(immutable, strict, parallel_safe)]
#[allow(clippy::type_complexity)]
fn decode_batch_raw(
    batch: &[u8],
) -> TableIterator<
    'static,
    (
        name!(offset, i64),
        name!(timestamp_ms, i64),
        name!(key, Option<Vec<u8>>),
        name!(value, Option<Vec<u8>>),
        name!(header_keys, Vec<String>),
        name!(header_values, Vec<Option<Vec<u8>>>),
    ),
> {
    let records = match decode_records(batch, MAX_DECODED_BATCH) {
        Ok(r) => r,
        Err(e) => error!("pg_kafka: cannot decode batch: {e}"),
    };
    TableIterator::new(records.into_iter().map(|r| {
        let (keys, values): (Vec<String>, Vec<Option<Vec<u8>>>) = r
            .headers
            .into_iter()
            .map(|(k, v)| (String::from_utf8_lossy(&k).into_owned(), v))
            .unzip();
        (r.offset, r.timestamp, r.key, r.value, keys, values)
    }))
}

pgrx::extension_sql_file!(
    "../../sql/groups.sql",
    name = "groups",
    requires = ["schema"]
);

pgrx::extension_sql_file!(
    "../../sql/records.sql",
    name = "records",
    requires = [decode_batch_raw, "groups"]
);

pgrx::extension_sql_file!(
    "../../sql/cleaner.sql",
    name = "cleaner",
    requires = ["records", pg::memory::partition_memory]
);

pgrx::extension_sql_file!(
    "../../sql/privileges.sql",
    name = "privileges",
    requires = ["cleaner", pg::cleaner::run_cleaner]
);

// What 0.2.0 added to 0.1.0: the same file is the upgrade script, so both paths agree.
pgrx::extension_sql_file!(
    "../../sql/pg_kafka--0.1.0--0.2.0.sql",
    name = "v0_2_0",
    requires = ["privileges"],
    finalize
);
