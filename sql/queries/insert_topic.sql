INSERT INTO kafka.topics (topic_id, name, partitions, configs)
VALUES ($1, $2, $3, jsonb_object($4::text[], $5::text[]))
