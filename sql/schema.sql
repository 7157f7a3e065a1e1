-- pg_kafka schema: the durable source of truth. The worker's memory is rebuilt from these tables.

CREATE TABLE kafka.topics (
    topic_id   uuid PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    partitions integer NOT NULL CHECK (partitions > 0),
    configs    jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE kafka.topics IS 'Kafka topics served by pg_kafka.';

CREATE TABLE kafka.partitions (
    topic_id         uuid NOT NULL REFERENCES kafka.topics ON DELETE CASCADE,
    partition        integer NOT NULL CHECK (partition >= 0),
    next_offset      bigint NOT NULL DEFAULT 0,
    log_start_offset bigint NOT NULL DEFAULT 0,
    -- The partition's rows in kafka.batches: their bytes and number.
    stored_bytes     bigint NOT NULL DEFAULT 0,
    stored_batches   bigint NOT NULL DEFAULT 0,
    -- Compaction: every batch below cleaned_offset was compacted, last at last_cleaned_at.
    cleaned_offset   bigint NOT NULL DEFAULT 0,
    last_cleaned_at  timestamptz,
    PRIMARY KEY (topic_id, partition)
);
COMMENT ON TABLE kafka.partitions IS
    'One row per partition: the next offset to assign (the high watermark), the log start, what it stores and how far compaction got.';

-- One row per produced RecordBatch, stored verbatim with its base offset stamped in.
-- No foreign key: the single writer guarantees the partition exists, and a per-row check
-- would cost an index probe per batch on the hot path.
CREATE TABLE kafka.batches (
    topic_id       uuid NOT NULL,
    partition      integer NOT NULL,
    base_offset    bigint NOT NULL,
    last_offset    bigint NOT NULL,
    base_timestamp bigint NOT NULL,
    max_timestamp  bigint NOT NULL,
    record_count   integer NOT NULL,
    attributes     smallint NOT NULL,
    producer_id    bigint NOT NULL,
    producer_epoch smallint NOT NULL,
    base_sequence  integer NOT NULL,
    batch          bytea NOT NULL,
    -- Set by the cleaner (ms since the epoch) the first time it keeps a batch holding a
    -- tombstone, or a transaction marker: after it, those may be removed.
    delete_horizon bigint,
    PRIMARY KEY (topic_id, partition, base_offset)
);
-- Batches are often compressed by the client already: store them out of line without pglz.
ALTER TABLE kafka.batches ALTER COLUMN batch SET STORAGE EXTERNAL;
-- The cleaner deletes rows in bulk: let autovacuum free them sooner and ten times faster than
-- its default throttle allows (docs/adr/0005-cleaner-delete-and-vacuum.md). A DBA may change
-- these with ALTER TABLE like any other storage parameter.
ALTER TABLE kafka.batches SET (
    autovacuum_vacuum_scale_factor = 0.05, toast.autovacuum_vacuum_scale_factor = 0.05,
    autovacuum_vacuum_cost_limit = 2000, toast.autovacuum_vacuum_cost_limit = 2000
);
COMMENT ON TABLE kafka.batches IS
    'Record batches as produced (Kafka RecordBatch v2 bytes, compression kept); decode with kafka.decode_batch().';

CREATE TYPE kafka.record_header AS (key text, value bytea);

-- Consumer groups (classic protocol): the metadata a restart needs to resume a group without a
-- rebalance, and the offsets its members committed.
CREATE TABLE kafka.consumer_groups (
    group_id      text PRIMARY KEY,
    protocol_type text,
    protocol_name text,
    generation_id integer NOT NULL,
    leader_id     text,
    state         text NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE kafka.group_members (
    group_id             text NOT NULL REFERENCES kafka.consumer_groups ON DELETE CASCADE,
    member_id            text NOT NULL,
    group_instance_id    text,
    client_id            text NOT NULL,
    client_host          text NOT NULL,
    session_timeout_ms   integer NOT NULL,
    rebalance_timeout_ms integer NOT NULL,
    metadata             bytea NOT NULL,
    assignment           bytea NOT NULL,
    PRIMARY KEY (group_id, member_id)
);

-- Offsets may exist for a group with no members (admin commits, simple consumers): no foreign
-- key to consumer_groups. Deleting a topic deletes its offsets.
CREATE TABLE kafka.consumer_offsets (
    group_id         text NOT NULL,
    topic_id         uuid NOT NULL REFERENCES kafka.topics ON DELETE CASCADE,
    partition        integer NOT NULL,
    committed_offset bigint NOT NULL,
    leader_epoch     integer NOT NULL DEFAULT -1,
    metadata         text,
    commit_timestamp bigint NOT NULL,
    PRIMARY KEY (group_id, topic_id, partition)
);

-- Exactly-once producers. Producer ids are never reused: the next one is max(producer_id) + 1.
CREATE TABLE kafka.producers (
    producer_id      bigint PRIMARY KEY,
    producer_epoch   smallint NOT NULL,
    transactional_id text
);

-- Transaction coordinator state per transactional id (Kafka's state names).
CREATE TABLE kafka.transactions (
    transactional_id    text PRIMARY KEY,
    producer_id         bigint NOT NULL,
    producer_epoch      smallint NOT NULL,
    last_producer_epoch smallint NOT NULL,
    state               text NOT NULL,
    timeout_ms          integer NOT NULL,
    start_timestamp     bigint NOT NULL
);

-- The partitions of each transaction; replaced whole with the transaction's row. No foreign key
-- to partitions: a topic may be deleted while a transaction names it.
CREATE TABLE kafka.transaction_partitions (
    transactional_id text NOT NULL REFERENCES kafka.transactions ON DELETE CASCADE,
    topic_id         uuid NOT NULL,
    partition        integer NOT NULL,
    first_offset     bigint NOT NULL,
    PRIMARY KEY (transactional_id, topic_id, partition)
);

-- Aborted transactions per partition, for read_committed fetches.
CREATE TABLE kafka.aborted_transactions (
    topic_id     uuid NOT NULL REFERENCES kafka.topics ON DELETE CASCADE,
    partition    integer NOT NULL,
    producer_id  bigint NOT NULL,
    first_offset bigint NOT NULL,
    last_offset  bigint NOT NULL,
    PRIMARY KEY (topic_id, partition, last_offset)
);

-- Every table is the extension's data: pg_dump dumps its rows (not only its definition), so a
-- restore keeps every record, offset, group, producer and transaction.
SELECT pg_catalog.pg_extension_config_dump('kafka.topics', '');
SELECT pg_catalog.pg_extension_config_dump('kafka.partitions', '');
SELECT pg_catalog.pg_extension_config_dump('kafka.batches', '');
SELECT pg_catalog.pg_extension_config_dump('kafka.consumer_groups', '');
SELECT pg_catalog.pg_extension_config_dump('kafka.group_members', '');
SELECT pg_catalog.pg_extension_config_dump('kafka.consumer_offsets', '');
SELECT pg_catalog.pg_extension_config_dump('kafka.producers', '');
SELECT pg_catalog.pg_extension_config_dump('kafka.transactions', '');
SELECT pg_catalog.pg_extension_config_dump('kafka.transaction_partitions', '');
SELECT pg_catalog.pg_extension_config_dump('kafka.aborted_transactions', '');
