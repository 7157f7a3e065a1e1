INSERT INTO kafka.batches (topic_id, partition, base_offset, last_offset, base_timestamp,
                           max_timestamp, record_count, attributes, producer_id, producer_epoch,
                           base_sequence, batch)
SELECT * FROM unnest($1::uuid[], $2::int[], $3::bigint[], $4::bigint[], $5::bigint[],
                     $6::bigint[], $7::int[], $8::smallint[], $9::bigint[], $10::smallint[],
                     $11::int[], $12::bytea[])
