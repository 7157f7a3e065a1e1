DELETE FROM kafka.producers WHERE producer_id = ANY($1::bigint[])
