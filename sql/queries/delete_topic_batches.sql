DELETE FROM kafka.batches WHERE topic_id = ANY($1::uuid[])
