INSERT INTO kafka.producers AS p (producer_id, producer_epoch, transactional_id)
SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::text[])
ON CONFLICT (producer_id) DO UPDATE
   SET producer_epoch = excluded.producer_epoch, transactional_id = excluded.transactional_id
