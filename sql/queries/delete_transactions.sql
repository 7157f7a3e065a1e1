DELETE FROM kafka.transactions WHERE transactional_id = ANY($1::text[])
