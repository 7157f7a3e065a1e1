-- The unnest() calls are in the select list, not in FROM: a set-returning function in FROM is
-- materialised into a tuplestore first (one more copy of every batch, spilled past work_mem and
-- read back), while in the select list the rows stream with each bytea pointing into the array.
INSERT INTO kafka.batches (topic_id, partition, base_offset, last_offset, base_timestamp,
                           max_timestamp, record_count, attributes, producer_id, producer_epoch,
                           base_sequence, batch)
SELECT unnest($1::uuid[]), unnest($2::int[]), unnest($3::bigint[]), unnest($4::bigint[]),
       unnest($5::bigint[]), unnest($6::bigint[]), unnest($7::int[]), unnest($8::smallint[]),
       unnest($9::bigint[]), unnest($10::smallint[]), unnest($11::int[]), unnest($12::bytea[])
