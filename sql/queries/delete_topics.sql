DELETE FROM kafka.topics WHERE topic_id = ANY($1::uuid[])
