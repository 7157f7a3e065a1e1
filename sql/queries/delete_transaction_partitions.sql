DELETE FROM kafka.transaction_partitions WHERE transactional_id = ANY($1::text[])
