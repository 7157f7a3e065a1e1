INSERT INTO kafka.transactions AS t (transactional_id, producer_id, producer_epoch,
                                     last_producer_epoch, state, timeout_ms, start_timestamp)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::smallint[], $4::smallint[], $5::text[],
                     $6::int[], $7::bigint[])
ON CONFLICT (transactional_id) DO UPDATE
   SET producer_id = excluded.producer_id, producer_epoch = excluded.producer_epoch,
       last_producer_epoch = excluded.last_producer_epoch, state = excluded.state,
       timeout_ms = excluded.timeout_ms, start_timestamp = excluded.start_timestamp
