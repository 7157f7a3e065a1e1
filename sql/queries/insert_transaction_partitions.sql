INSERT INTO kafka.transaction_partitions (transactional_id, topic_id, partition, first_offset)
SELECT * FROM unnest($1::text[], $2::uuid[], $3::int[], $4::bigint[])
