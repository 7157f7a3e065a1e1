INSERT INTO kafka.partitions (topic_id, partition)
SELECT $1, p FROM generate_series($2::int, $3::int - 1) AS p
