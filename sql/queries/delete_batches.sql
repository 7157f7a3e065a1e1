DELETE FROM kafka.batches AS b
 USING unnest($1::uuid[], $2::int[], $3::bigint[]) AS u(topic_id, partition, base_offset)
 WHERE b.topic_id = u.topic_id AND b.partition = u.partition AND b.base_offset = u.base_offset
